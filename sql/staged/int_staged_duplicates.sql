-- int_staged_duplicates: one row per accepted row of a source whose event_id an earlier row
-- of the source already holds, with the reject reason. Reads staged.events,
-- staged.identity_records and meta.loaded_files. Rows are ranked by file name, then line: the
-- first keeps its id, every later one is a duplicate, said to be a re-delivery when its
-- content is the same (record_hash) and a conflicting id when it differs. Only ids used by a
-- row of the files just loaded ($file_ids) are checked: the others were checked before. An
-- id that looks like an email or a phone number is masked in the reason.
-- Parameters: $source, $file_ids.
with accepted as (
    select event_key, event_id, file_id, file_line, record_hash, 'event' as record_kind
    from staged.events
    where source = $source
    union all
    select event_key, event_id, file_id, file_line, record_hash, 'identity' as record_kind
    from staged.identity_records
    where source = $source
),

touched as (
    select distinct event_id from accepted where list_contains($file_ids, file_id)
),

repeated as (
    select event_id
    from accepted
    semi join touched using (event_id)
    group by event_id
    having count(*) > 1
),

ranked as (
    select
        accepted.*,
        files.file_name,
        row_number() over by_place as n_seen,
        first_value(accepted.record_hash) over by_place as first_hash,
        first_value(files.file_name || ':' || accepted.file_line) over by_place as first_seen_at
    from accepted
    semi join repeated using (event_id)
    join meta.loaded_files as files using (file_id)
    window by_place as (partition by accepted.event_id order by files.file_name, accepted.file_line, accepted.event_key)
),

final as (
    select
        event_key,
        record_kind,
        event_id,
        file_id,
        file_name,
        file_line,
        case
            when record_hash = first_hash then 'duplicate of ' || first_seen_at || ' (same event_id, same content)'
            else 'event_id ''' || jm_mask_pii(event_id) || ''' already used at ' || first_seen_at || ' with different content'
        end as reason
    from ranked
    where n_seen > 1
)

select * from final
