-- int_identity_sets: one row per distinct list of identifiers a record carried (an event, an
-- identify call, a CRM row), keyed by identity_key, the hash staging gave the list. Many
-- events share a list (every page view of a signed-in visit), so stitching works on these
-- rows, not on every event. Reads staged.identity_sets (each file's distinct lists, counted;
-- records later rejected as duplicates count -1), so it never scans every record.
with sets as (
    select identity_key, identifiers, n_records from staged.identity_sets
),

final as (
    select
        identity_key,
        any_value(identifiers) as identifiers,
        -- two different lists with one key would share a customer: checked to be 1
        count(distinct identifiers) as n_lists
    from sets
    group by identity_key
    having sum(n_records) > 0
)

select * from final
