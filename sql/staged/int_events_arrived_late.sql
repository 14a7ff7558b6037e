-- int_events_arrived_late: one row: of the source's events read this run (from the files the
-- run loaded), those that occurred before the run's high-water mark (the newest event staged
-- from any source before the run started), i.e. that arrived after a run had already published
-- their time, and those more than the lookback before it. Late events are staged and placed at
-- their own time like any other (every run rebuilds journeys from all staged events); this only
-- counts them. Reads staged.events and meta.loaded_files.
-- Parameters: $source, $run_id, $high_water_at (NULL on a first run: nothing is late),
-- $lookback_days.
with new_files as (
    select file_id
    from meta.loaded_files
    where source = $source and run_id = $run_id
),

new_events as (
    select occurred_at
    from staged.events
    where source = $source and file_id in (select file_id from new_files)
),

final as (
    select
        count(*) filter (where occurred_at < $high_water_at) as n_late_events,
        count(*) filter (
            where occurred_at < $high_water_at::TIMESTAMPTZ - to_days($lookback_days::INTEGER)
        ) as n_late_beyond_lookback,
        min(occurred_at) filter (where occurred_at < $high_water_at) as earliest_late_at
    from new_events
)

select * from final
