-- int_identity_map: one row per identifier seen anywhere, with the customer it belongs to.
-- Reads stitched.identifiers and stitched.graph_identities (node → component part and
-- whether it is a shared identifier, from journeymine.identity.stitch). customer_id = 'cu_' +
-- md5 of the smallest identifier of the identifier's part of its component; a shared
-- identifier is a customer of its own, as is one never linked to another.
with nodes as (
    select identifiers.identifier, identifiers.kind, graph.part, graph.is_shared
    from stitched.identifiers as identifiers
    join stitched.graph_identities as graph using (node)
),

parts as (
    select part, 'cu_' || left(md5(min(identifier)), 16) as customer_id
    from nodes
    group by part
),

final as (
    select
        nodes.identifier,
        nodes.kind,
        parts.customer_id,
        nodes.is_shared
    from nodes
    join parts using (part)
)

select * from final
