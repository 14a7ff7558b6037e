-- int_touchpoint_paths_counted: one row per distinct touchpoint path (the journey's steps as
-- touchpoint codes), with its number of journeys. The graph's nodes and edges count the
-- journeys reaching a touchpoint or taking a transition on these rows, weighted, instead of
-- a count(distinct journey) over every step. Reads marts.journeys.
select touchpoint_path, count(*) as n_journeys
from marts.journeys
group by touchpoint_path
