-- friction_drivers: one row per (friction finding, attribute, value) over-represented among
-- the journeys the finding affected, ranked per finding ("platform = app/Android: 3.1x more
-- likely (41% vs 13%, p < 0.001)").
-- Reads journeys.driver_cells (the 2x2 counts, int_driver_cells_counted) and
-- journeys.driver_tests, the statistics insights/drivers.py computed for the cells it could
-- test: one row (test_id, lift, odds_ratio, p_value, q_value) per tested cell. A cell without a test (its value is held by
-- the whole population, or the whole population is affected) has no contrast and no row.
--
--   rate_with_value     affected / population among journeys with the value
--   rate_without_value  the same among the rest of the population: the journeys with another
--                       known value of the attribute (unknown values are in neither group)
--   lift                rate_with_value / rate_without_value ("x times more likely");
--                       infinity when no journey without the value is affected
--   odds_ratio          (affected with * unaffected without) / (unaffected with * affected without)
--   p_value             two-sided Fisher exact test of the 2x2 table
--   q_value             Benjamini-Hochberg adjusted over all tests of the run (both directions)
-- Only lift > 1 is kept. driver_rank orders a finding's drivers: significant first
-- (q_value <= $alpha), then by lift, then by p_value.
-- Parameters: $alpha.
with cells as (
    select * from journeys.driver_cells
),

tests as (
    select test_id, lift, odds_ratio, p_value, q_value from journeys.driver_tests
),

measured as (
    select
        cells.*,
        cells.n_affected_with_value / cells.n_population_with_value as rate_with_value,
        (cells.n_affected - cells.n_affected_with_value)
            / (cells.n_population - cells.n_population_with_value) as rate_without_value,
        tests.lift,
        tests.odds_ratio,
        tests.p_value,
        tests.q_value,
        tests.q_value <= $alpha as is_significant
    from cells
    join tests using (test_id)
    where tests.lift > 1
),

described as (
    select
        *,
        attribute || ' = ' || value || ': '
            || case
                when isinf(lift) then 'affected only with it'
                else printf('%.1fx more likely', lift)
            end
            || printf(' (%.0f%% vs %.0f%%, ', 100 * rate_with_value, 100 * rate_without_value)
            || case when p_value < 0.001 then 'p < 0.001' else printf('p = %.3f', p_value) end
            || case when is_significant then ')' else '; not significant)' end
            as statement
    from measured
),

final as (
    select
        friction_rank,
        row_number() over (
            partition by friction_rank
            order by is_significant desc, lift desc, p_value, attribute, value
        ) as driver_rank,
        touchpoint,
        signal,
        channel,
        activity,
        target_channel,
        target_activity,
        attribute,
        value,
        statement,
        n_population,
        n_affected,
        n_population_with_value,
        n_affected_with_value,
        rate_with_value,
        rate_without_value,
        lift,
        odds_ratio,
        p_value,
        q_value,
        is_significant
    from described
)

select * from final
order by friction_rank, driver_rank
