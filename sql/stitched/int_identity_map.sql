-- int_identity_map: one row per identifier seen anywhere, with the customer it belongs to.
-- Reads staged.events, staged.identity_records and stitched.graph_identities (the identity
-- graph's components from journeymine.identity.stitch). An identifier never linked to another is a
-- customer of its own. customer_id = 'cu_' + md5 of the component's smallest identifier.
with identifiers as (
    select distinct i.kind, i.kind || ':' || i.id as identifier
    from (
        select unnest(identifiers) as i from staged.events
        union all
        select unnest(identifiers) as i from staged.identity_records
    )
),

final as (
    select
        identifiers.identifier,
        identifiers.kind,
        coalesce(graph.customer_id, 'cu_' || left(md5(identifiers.identifier), 16)) as customer_id,
        coalesce(graph.is_shared, false) as is_shared
    from identifiers
    left join stitched.graph_identities as graph using (identifier)
)

select * from final
