-- int_identity_conflicts: one row per customer attribute (segment, country, signup_date) on
-- which a customer's identity records disagree (two CRM rows for one person saying 'gold' and
-- 'silver'), with the number of customers concerned. The customers output takes the value of
-- the latest record; this makes the disagreement visible (run manifest, stitching).
-- Reads staged.identity_records and stitched.identity_sets_resolved.
with records as (
    select
        resolved.customer_id,
        records.attributes ->> 'segment' as segment,
        records.attributes ->> 'country' as country,
        records.attributes ->> 'signup_date' as signup_date
    from staged.identity_records as records
    join stitched.identity_sets_resolved as resolved using (identity_key)
),

per_customer as (
    select
        customer_id,
        count(distinct segment) as n_segments,
        count(distinct country) as n_countries,
        count(distinct signup_date) as n_signup_dates
    from records
    group by customer_id
),

final as (
    select 'segment' as attribute, count(*) filter (where n_segments > 1) as n_customers from per_customer
    union all
    select 'country', count(*) filter (where n_countries > 1) from per_customer
    union all
    select 'signup_date', count(*) filter (where n_signup_dates > 1) from per_customer
)

select * from final
where n_customers > 0
order by attribute
