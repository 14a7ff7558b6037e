-- int_log_events_checked: one row per row of an event log read by `journeymine mine`, as an
-- event of a journey (one journey per case), with the reason it is rejected (NULL: kept).
-- Lean on purpose (millions of rows): the view journeys.events_in_journeys adds the columns a
-- case does not have (customer and session are the case; no end time, sentiment or value).
-- Reads journeys.log_input (case_id, activity, time_value as text or timestamp, optional
-- channel), whose rowid is the row's place in the file (the table is written in file order):
-- it breaks timestamp ties, as pm4py's stable sort does.
-- Parameters: $time_format (strptime codes, 'epoch', 'epoch_ms' or NULL for ISO 8601),
-- $time_zone (for times without an offset), $channel (when the log has no channel column).
with source as (
    select *, rowid + 1 as row_number from journeys.log_input
),

parsed as (
    select
        *,
        case
            when typeof(time_value) like 'TIMESTAMP WITH TIME ZONE%' then time_value::TIMESTAMPTZ
            when typeof(time_value) like 'TIMESTAMP%' or typeof(time_value) = 'DATE'
                then timezone($time_zone, time_value::TIMESTAMP)
            else jm_parse_time(time_value::VARCHAR, $time_format, $time_zone)
        end as occurred_at
    from source
),

final as (
    select
        row_number as event_seq,
        case_id::VARCHAR as journey_id,
        coalesce(channel::VARCHAR, $channel) as channel,
        activity::VARCHAR as activity,
        occurred_at,
        case
            when case_id is null then 'missing case id'
            when activity is null then 'missing activity'
            when time_value is null then 'missing timestamp'
            when occurred_at is null then 'unparseable timestamp'
        end as reject_reason,
        -- the time as written, kept for rejected rows only (a copy of every time would double memory)
        case when occurred_at is null then time_value::VARCHAR end as time_text
    from parsed
)

select * from final
