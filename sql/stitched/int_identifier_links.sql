-- int_identifier_links: one row per distinct pair of identifiers seen on the same record,
-- i.e. one edge of the identity graph. Reads staged.events and staged.identity_records.
-- A record links each of its identifiers to its first (strongest) one; a star per record
-- gives the same connected components as a clique, with far fewer edges.
with records as (
    select identifiers from staged.events where len(identifiers) > 1
    union all
    select identifiers from staged.identity_records where len(identifiers) > 1
),

keyed as (
    select distinct list_transform(identifiers, lambda i: i.kind || ':' || i.id) as identifier_keys
    from records
),

pairs as (
    select identifier_keys[1] as identifier_a, unnest(identifier_keys[2:]) as identifier_b
    from keyed
),

final as (
    select distinct
        least(identifier_a, identifier_b) as identifier_a,
        greatest(identifier_a, identifier_b) as identifier_b
    from pairs
    where identifier_a <> identifier_b
)

select * from final
order by identifier_a, identifier_b
