-- int_staged_rows_checked: one row per staged row of one source, with duplicates marked.
-- Reads src_staged (the output of the source's stg_* model). The first row of an event_id
-- (by file name, then line) is kept; a later row with the same id is rejected, saying whether
-- its content is the same (a re-delivery) or different (a conflicting id).
with source as (
    select * from src_staged
),

ranked as (
    select
        *,
        row_number() over (partition by event_id order by file_name, file_line) as n_seen,
        first_value(raw_record) over (partition by event_id order by file_name, file_line) as first_record,
        first_value(file_name || ':' || file_line) over (partition by event_id order by file_name, file_line) as first_seen_at
    from source
    where reject_reason is null and event_id is not null
),

checked as (
    select
        * exclude (reject_reason, n_seen, first_record, first_seen_at),
        case
            when n_seen = 1 then NULL
            when raw_record = first_record then 'duplicate of ' || first_seen_at || ' (same event_id, same content)'
            else 'event_id ''' || event_id || ''' already used at ' || first_seen_at || ' with different content'
        end as reject_reason
    from ranked
),

final as (
    select * from checked
    union all by name
    select * from source where reject_reason is not null or event_id is null
)

select * from final
