-- int_identity_map: one row per identifier seen anywhere, with the customer it belongs to.
-- Reads stitched.identifiers and stitched.graph_identities (node → component part and
-- whether it is a shared identifier, from journeymine.identity.stitch). customer_id = 'cu_' +
-- md5 of the anchor of the identifier's part of its component: its identifier of the strongest
-- kind (customer_ref > loyalty_id > email > phone > anonymous_id), the smallest of them. So a
-- customer keeps their id from night to night while devices and logins join them (a new
-- anonymous_id never re-keys a known customer). A shared identifier is a customer of its own, as
-- is one never linked to another. Parameters: $kind_priority (identifier kinds, strongest first).
with nodes as (
    select identifiers.identifier, identifiers.kind, graph.part, graph.is_shared
    from stitched.identifiers as identifiers
    join stitched.graph_identities as graph using (node)
),

parts as (
    select part, 'cu_' || left(md5(arg_min(identifier, (list_position($kind_priority, kind), identifier))), 16)
        as customer_id
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
