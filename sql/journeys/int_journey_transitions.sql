-- int_journey_transitions: one row per pair of consecutive steps in a journey (a transition),
-- read by the friction signals. Reads journeys.steps, where each step already carries the
-- step before it. target_is_revisit: the journey had already been at the target touchpoint
-- before this step. seconds: from one step's start to the next step's start.
with steps as (
    select
        *,
        step_number > min(step_number) over (partition by journey_id, channel, activity) as is_revisit
    from journeys.steps
),

final as (
    select
        journey_id,
        step_number - 1 as source_step_number,
        previous_channel as source_channel,
        previous_activity as source_activity,
        channel as target_channel,
        activity as target_activity,
        is_revisit as target_is_revisit,
        seconds_since_previous as seconds
    from steps
    where step_number > 1
)

select * from final
