-- int_journey_transitions: one row per pair of consecutive steps in a journey (a transition),
-- read by the journey graph's edges and by the friction signals.
-- Reads journeys.events_in_journeys. target_is_revisit: the journey had already been at the
-- target touchpoint before this step. seconds: from one step's start to the next step's start.
with steps as (
    select
        journey_id,
        step_number,
        channel,
        activity,
        occurred_at,
        step_number > min(step_number) over (partition by journey_id, channel, activity) as is_revisit
    from journeys.events_in_journeys
),

transitions as (
    select
        journey_id,
        step_number as source_step_number,
        channel as source_channel,
        activity as source_activity,
        lead(channel) over by_journey as target_channel,
        lead(activity) over by_journey as target_activity,
        lead(is_revisit) over by_journey as target_is_revisit,
        epoch(lead(occurred_at) over by_journey) - epoch(occurred_at) as seconds
    from steps
    window by_journey as (partition by journey_id order by step_number)
),

final as (
    select * from transitions
    where target_activity is not null
)

select * from final
