-- int_identity_changes: one row per change of who is who since the previous published run:
-- a merge (several previous customers are now one: a login linked an anonymous visitor to a
-- known customer), a split (one previous customer is now several: an identifier set aside as
-- shared, a link gone) or a rekey (the same identifiers under another customer_id: the anchor
-- of the component, which names it, changed). Compared through the identifiers both runs know,
-- never through customer_ids alone: a customer_id is a digest of its component's anchor (its
-- identifier of the strongest kind, the smallest of them), so a new customer shifts no other
-- id, but a changed component may change its id. Each change counts the events the previous run published under
-- another customer_id (re-keyed) and the records read since that linked the identifiers.
-- Reads identity.snapshot, identity.identity_map and identity.identity_sets_resolved (the
-- previous published run's), stitched.identity_map and stitched.identity_sets_resolved (this
-- run's), meta.loaded_files (which files came after that run), staged.identity_sets,
-- staged.events and staged.identity_records. No row when there is no previous run to compare.
with snapshot as (
    select run_id as previous_run_id, kept_at from identity.snapshot
),

files as (
    select file_id, loaded_at > (select kept_at from snapshot) as is_new
    from meta.loaded_files
),

pairs as (
    -- every identifier both runs know: its customer then and now
    select
        current_map.identifier,
        current_map.kind,
        previous_map.customer_id as previous_customer_id,
        current_map.customer_id,
        previous_map.is_shared as was_shared,
        current_map.is_shared
    from identity.identity_map as previous_map
    join stitched.identity_map as current_map using (identifier)
),

moved as (
    select previous_customer_id, customer_id
    from pairs
    where previous_customer_id <> customer_id or was_shared <> is_shared
),

by_current as (
    select customer_id, list(distinct previous_customer_id order by previous_customer_id) as previous_customer_ids
    from pairs
    where customer_id in (select customer_id from moved)
    group by customer_id
),

by_previous as (
    select previous_customer_id, list(distinct customer_id order by customer_id) as customer_ids
    from pairs
    where previous_customer_id in (select previous_customer_id from moved)
    group by previous_customer_id
),

changes as (
    select 'merge' as kind, previous_customer_ids, [customer_id] as customer_ids
    from by_current
    where len(previous_customer_ids) > 1
    union all
    select 'split' as kind, [previous_customer_id] as previous_customer_ids, customer_ids
    from by_previous
    where len(customer_ids) > 1
    union all
    select 'rekey' as kind, by_current.previous_customer_ids, [by_current.customer_id] as customer_ids
    from by_current
    join by_previous on by_previous.previous_customer_id = by_current.previous_customer_ids[1]
    where len(by_current.previous_customer_ids) = 1 and len(by_previous.customer_ids) = 1
        and by_current.customer_id <> by_current.previous_customer_ids[1]
),

numbered as (
    select row_number() over (order by kind, previous_customer_ids, customer_ids) as change_no, *
    from changes
),

cells as (
    -- the (previous customer, current customer) pairs each change covers
    select change_no, previous_customer_id, unnest(customer_ids) as customer_id
    from (select change_no, unnest(previous_customer_ids) as previous_customer_id, customer_ids from numbered)
),

identifier_counts as (
    select
        cells.change_no,
        count(*) filter (where pairs.previous_customer_id <> pairs.customer_id) as n_identifiers_moved,
        list(distinct pairs.kind order by pairs.kind)
            filter (where pairs.previous_customer_id <> pairs.customer_id) as identifier_kinds,
        count(*) filter (where pairs.is_shared and not pairs.was_shared) as n_set_aside,
        count(*) filter (where pairs.was_shared and not pairs.is_shared) as n_no_longer_shared
    from cells
    join pairs using (previous_customer_id, customer_id)
    group by cells.change_no
),

set_moves as (
    select
        previous_sets.identity_key,
        previous_sets.customer_id as previous_customer_id,
        current_sets.customer_id
    from identity.identity_sets_resolved as previous_sets
    join stitched.identity_sets_resolved as current_sets using (identity_key)
    where previous_sets.customer_id <> current_sets.customer_id
),

rekeyed as (
    -- events the previous run published under another customer_id
    select set_moves.previous_customer_id, set_moves.customer_id, count(*) as n_events
    from staged.events as events
    join set_moves using (identity_key)
    join files using (file_id)
    where not files.is_new
    group by set_moves.previous_customer_id, set_moves.customer_id
),

event_counts as (
    select cells.change_no, sum(rekeyed.n_events) as n_events_rekeyed
    from cells
    join rekeyed using (previous_customer_id, customer_id)
    group by cells.change_no
),

new_sets as (
    -- identifier lists of the records read since, with two identifiers or more
    select identity_key, any_value(identifiers) as identifiers
    from staged.identity_sets
    join files using (file_id)
    where files.is_new and len(identifiers) > 1
    group by identity_key
    having sum(n_records) > 0
),

new_set_identifiers as (
    select identity_key, identifier.kind, identifier.kind || ':' || identifier.id as identifier
    from (select identity_key, unnest(identifiers) as identifier from new_sets)
),

linking_sets as (
    -- those joining identifiers of different previous customers, or new identifiers to one
    select
        new_set_identifiers.identity_key,
        list(distinct new_set_identifiers.kind order by new_set_identifiers.kind) as kinds
    from new_set_identifiers
    left join identity.identity_map as previous_map using (identifier)
    group by new_set_identifiers.identity_key
    having count(distinct coalesce(previous_map.customer_id, 'new ' || new_set_identifiers.identifier)) > 1
),

linking_records as (
    select events.identity_key, events.source, events.event_id, events.occurred_at, events.event_key
    from staged.events as events
    join files using (file_id)
    where files.is_new and events.identity_key in (select identity_key from linking_sets)
    union all
    select records.identity_key, records.source, records.event_id, records.occurred_at, records.event_key
    from staged.identity_records as records
    join files using (file_id)
    where files.is_new and records.identity_key in (select identity_key from linking_sets)
),

change_links as (
    select
        cells.change_no,
        linking_records.source,
        linking_records.event_id,
        linking_records.occurred_at,
        linking_sets.kinds,
        count(*) over (partition by cells.change_no) as n_linking_records,
        row_number() over (
            partition by cells.change_no
            order by linking_records.occurred_at nulls last, linking_records.event_key
        ) as link_order
    from (select distinct change_no, customer_id from cells) as cells
    join stitched.identity_sets_resolved as resolved using (customer_id)
    join linking_records using (identity_key)
    join linking_sets using (identity_key)
),

final as (
    select
        snapshot.previous_run_id,
        numbered.kind,
        numbered.previous_customer_ids,
        numbered.customer_ids,
        identifier_counts.n_identifiers_moved,
        identifier_counts.identifier_kinds,
        coalesce(event_counts.n_events_rekeyed, 0)::BIGINT as n_events_rekeyed,
        case
            when numbered.kind <> 'merge' and identifier_counts.n_set_aside > 0 then 'set_aside_as_shared'
            when change_links.n_linking_records > 0 then 'new_link'
            when identifier_counts.n_set_aside > 0 then 'set_aside_as_shared'
            when identifier_counts.n_no_longer_shared > 0 then 'no_longer_shared'
            else 'link_removed'
        end as reason,
        identifier_counts.n_set_aside,
        coalesce(change_links.n_linking_records, 0) as n_linking_records,
        change_links.source as linking_source,
        change_links.event_id as linking_event_id,
        change_links.occurred_at as linking_occurred_at,
        change_links.kinds as linking_identifier_kinds
    from numbered
    cross join snapshot
    join identifier_counts using (change_no)
    left join event_counts using (change_no)
    left join change_links on change_links.change_no = numbered.change_no and change_links.link_order = 1
)

select * from final
order by kind, previous_customer_ids, customer_ids
