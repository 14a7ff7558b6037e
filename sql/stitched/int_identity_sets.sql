-- int_identity_sets: one row per distinct list of identifiers a record carried (an event, an
-- identify call, a CRM row), keyed by identity_key, the hash staging gave the list. Many
-- events share a list (every page view of a signed-in visit), so stitching works on these
-- rows, not on every event. Reads staged.events and staged.identity_records.
with records as (
    select identity_key, identifiers from staged.events
    union all
    select identity_key, identifiers from staged.identity_records
),

final as (
    select
        identity_key,
        any_value(identifiers) as identifiers,
        -- two different lists with one key would share a customer: checked to be 1
        count(distinct identifiers) as n_lists
    from records
    group by identity_key
)

select * from final
