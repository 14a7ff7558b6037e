-- int_identity_sets_resolved: one row per identity set, with the customer its records belong
-- to: the customer of its strongest identifier that is not shared (a kiosk, a switchboard
-- number); a set with only shared identifiers belongs to the shared identifier's own
-- pseudo-customer (is_shared: the journeys layer makes each of its visits a journey of its own).
-- customer_no numbers the customers 1, 2, … in customer_id order: the
-- journeys layer partitions by it (integers sort and hash faster than text).
-- Reads stitched.identity_sets and stitched.identity_map.
-- Parameters: $kind_priority (identifier kinds, strongest first).
with set_identifiers as (
    select identity_key, unnest(identifiers, recursive := true)
    from stitched.identity_sets
),

candidates as (
    select
        set_identifiers.identity_key,
        identity_map.customer_id,
        identity_map.is_shared,
        row_number() over (
            partition by set_identifiers.identity_key
            order by identity_map.is_shared, list_position($kind_priority, set_identifiers.kind), identity_map.identifier
        ) as preference
    from set_identifiers
    join stitched.identity_map as identity_map
        on identity_map.identifier = set_identifiers.kind || ':' || set_identifiers.id
),

resolved as (
    select identity_key, customer_id, is_shared
    from candidates
    where preference = 1
),

numbered as (
    select customer_id, (row_number() over (order by customer_id))::INTEGER as customer_no
    from (select distinct customer_id from resolved)
),

final as (
    select resolved.identity_key, resolved.customer_id, numbered.customer_no, resolved.is_shared
    from resolved
    join numbered using (customer_id)
)

select * from final
