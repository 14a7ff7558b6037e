-- int_identifiers_numbered: one row per identifier seen anywhere ('kind:hash'), with its kind
-- and a node number (0, 1, …, in identifier order) for the identity graph's arrays.
-- Reads stitched.identity_sets.
with identifiers as (
    select distinct i.kind, i.kind || ':' || i.id as identifier
    from (select unnest(identifiers) as i from stitched.identity_sets)
),

final as (
    select
        (row_number() over (order by identifier) - 1)::INTEGER as node,
        identifier,
        kind
    from identifiers
)

select * from final
