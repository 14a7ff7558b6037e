-- int_events_arrived_late: one row: of the source's events read since the last published run
-- (from the files loaded after it: this run's, and those of runs that failed after loading),
-- those that occurred before the high-water mark (the newest event of the files that run had
-- loaded), i.e. that arrived after a run had already published their time, and those more than
-- the lookback before it. Late events are staged and placed at their own time like any other
-- (every run rebuilds journeys from all staged events); this only counts them. Reads
-- staged.events and meta.loaded_files.
-- Parameters: $source, $published_at (when the last published run finished), $high_water_at
-- (NULL before a first publish: nothing is late), $lookback_days.
with new_files as (
    select file_id
    from meta.loaded_files
    where source = $source and loaded_at > $published_at
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
