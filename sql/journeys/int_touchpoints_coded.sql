-- int_touchpoints_coded: one row per touchpoint (channel, activity after label hygiene) with
-- its small integer code. Mining counts on codes and journey keys, not on text: sorting,
-- hashing and grouping integers is several times faster at millions of events; names are
-- joined back onto the (few) result rows. Reads journeys.activity_touchpoints.
select distinct touchpoint, channel, label as activity
from journeys.activity_touchpoints
order by touchpoint
