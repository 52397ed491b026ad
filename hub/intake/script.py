"""The atomic step of intake: one Lua call per report, so several hub processes agree.

``INTAKE_FILE`` KEYS: the source's reference (``Keys.intake_ref``), the open-case index of
the report's grid and category (``Keys.open_cases``), today's case counter (``Keys.case_seq``
of ``county:YYYYMMDD``, the counter camera alarms use too). ARGV: lon, lat, merge radius (m),
case-number prefix (county + day + source digit), join the open-case index (``1``: the case
is dispatched at once; ``0``: it waits in triage), reference lifetime (s). In order:
- the source's reference seen before → ``{'duplicate', case}`` (the caller finishes what a
  crashed first attempt may have left undone, or refuses a replayed citizen form);
- an open case of the same grid and category within the radius (the index camera alarms
  merge by) → ``{'merge', case}``;
- else a new number from the per-county, per-day counter → ``{'create', case}``, put into the
  open-case index when it is dispatched at once;
- over 99,999 cases today → ``{'overflow', ''}``.
The reference is kept with its case in the same step.
"""

from __future__ import annotations

INTAKE_FILE = """
local lon, lat, radius, case_prefix, join, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
  tonumber(ARGV[6])
local refkey = KEYS[1]
local geo = KEYS[2]
local counter = KEYS[3]
local seen = redis.call('GET', refkey)
if seen then return {'duplicate', seen} end
local near = redis.call('GEOSEARCH', geo, 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'm',
                        'ASC', 'COUNT', 1)
if #near > 0 then
  redis.call('SET', refkey, near[1], 'EX', ttl)
  return {'merge', near[1]}
end
local n = redis.call('INCR', counter)
redis.call('EXPIRE', counter, 259200)
if n > 99999 then return {'overflow', ''} end
local no = case_prefix .. string.format('%05d', n)
if join == '1' then redis.call('GEOADD', geo, lon, lat, no) end
redis.call('SET', refkey, no, 'EX', ttl)
return {'create', no}
"""
