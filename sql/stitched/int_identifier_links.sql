-- int_identifier_links: one row per distinct pair of identifiers seen on the same record,
-- i.e. one edge of the identity graph, as node numbers. Reads stitched.identity_sets and
-- stitched.identifiers. A record links each of its identifiers to its first (strongest)
-- one; a star per record gives the same connected components as a clique, with far fewer edges.
with keyed as (
    select list_transform(identifiers, lambda i: i.kind || ':' || i.id) as identifier_keys
    from stitched.identity_sets
    where len(identifiers) > 1
),

pairs as (
    select identifier_keys[1] as identifier_a, unnest(identifier_keys[2:]) as identifier_b
    from keyed
),

final as (
    select distinct
        least(a.node, b.node) as node_a,
        greatest(a.node, b.node) as node_b
    from pairs
    join stitched.identifiers as a on a.identifier = pairs.identifier_a
    join stitched.identifiers as b on b.identifier = pairs.identifier_b
    where a.node <> b.node
)

select * from final
