"""Atomic Lua scripts: several hub processes stay correct because each step runs whole.

``ALARM_BATCH``: a batch of alerts, each in turn against its alarm
(``hub.domain.correlation.alarm_step``'s rule), then, for a new alarm, recurrence → merge
with a nearby open case → operator queue → a new case number from the per-county, per-day
counter; the whole batch runs as one atomic step. An alarm keeps the detection boxes of its
latest alert that carried any (``hub.store.boxes``), with that alert's time and the snapshot it
named, so a tile draws them on the right frame. Every outcome that asks the worker for a
follow-up (create, merge, reopen, verify) is also written as an intent (``Keys.followups``,
field ``key|event id|seq``, value ``outcome|case``) in the same step, so a worker that dies
before the follow-up is done leaves it for the redelivery of the same alert to finish
(``hub.services.processor``). ``FILE_ALARM``: an operator confirms a queued alarm.
``CASE_APPEND``: append one event if the log is as long as the caller saw (compare-and-set),
publish the change and run the event's side effects (audit entry, timers, indexes: a list of
commands) in the same step. ``INBOX_ADD``: a batch of accepted messages onto the inbox stream
in one call.

Every key a script touches is declared in its KEYS, none is built inside Lua: Redis Cluster
routes a script by its declared keys, and they all carry the district's hash tag
(``hub.store.keys``), so they are in one slot. ``hub.store.script_keys`` checks the source.
"""

from __future__ import annotations

_ATTACH = """
local function attach(k, lon, lat, radius, case_prefix)
  local recent = redis.call('GET', k.recent)
  if recent then
    redis.call('HSET', k.alarm, 'case_no', recent)
    return {'reopen', recent}
  end
  local near = redis.call('GEOSEARCH', k.geo, 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'm',
                          'ASC', 'COUNT', 1)
  if #near > 0 then
    redis.call('HSET', k.alarm, 'case_no', near[1])
    return {'merge', near[1]}
  end
  local n = redis.call('INCR', k.counter)
  redis.call('EXPIRE', k.counter, 259200)
  if n > 99999 then return {'overflow', ''} end
  local no = case_prefix .. string.format('%05d', n)
  redis.call('GEOADD', k.geo, lon, lat, no)
  redis.call('HSET', k.alarm, 'case_no', no)
  return {'create', no}
end
"""

_STEP = """
local function step(k, case_prefix, rearm, clear_after, radius, now, akey, kind, ev, seq,
                    at, conf, grid, cat, lon, lat, route, snap, box, bx)
local cur = redis.call('HMGET', k.alarm, 'state', 'event_id', 'last_seq', 'cleared_ms',
  'case_no', 'boxes_ms')
local state, cev, lseq, cleared, case_no = cur[1], cur[2], tonumber(cur[3]), tonumber(cur[4]),
  cur[5] or ''
if (not state) or state == 'cleared' then
  if kind == 'end' then return {'stray_end', case_no} end
  if state == 'cleared' and cleared and at < cleared + rearm then
    redis.call('HINCRBY', k.alarm, 'suppressed', 1)
    return {'suppressed', case_no}
  end
else
  if cev == ev and seq <= lseq then return {'duplicate', case_no} end
  if kind == 'end' then
    redis.call('HSET', k.alarm, 'state', 'ending', 'gone_ms', at, 'event_id', ev, 'last_seq',
      seq)
    redis.call('ZADD', k.timers, at + clear_after, 'clear|' .. akey)
    return {'ending', case_no}
  end
  if bx ~= '' and at >= (tonumber(cur[6]) or 0) then
    -- the latest alert's boxes, with the snapshot that alert named
    redis.call('HSET', k.alarm, 'state', 'active', 'last_ms', at, 'event_id', ev, 'last_seq',
      seq, 'boxes', bx, 'boxes_ms', at, 'boxes_snapshot_id', snap)
  else
    redis.call('HSET', k.alarm, 'state', 'active', 'last_ms', at, 'event_id', ev, 'last_seq',
      seq)
  end
  redis.call('HINCRBY', k.alarm, 'count', 1)
  if tonumber(conf) > tonumber(redis.call('HGET', k.alarm, 'confidence') or '0') then
    redis.call('HSET', k.alarm, 'confidence', conf)
    if snap ~= '' then redis.call('HSET', k.alarm, 'snapshot_id', snap) end
  end
  redis.call('ZREM', k.timers, 'clear|' .. akey)
  return {'update', case_no}
end
redis.call('DEL', k.alarm)
redis.call('HSET', k.alarm, 'key', akey, 'state', 'active', 'first_ms', at, 'last_ms', at,
  'count', 1, 'event_id', ev, 'last_seq', seq, 'grid_code', grid, 'category', cat, 'lon', lon,
  'lat', lat, 'confidence', conf, 'snapshot_id', snap, 'box_id', box, 'route', route,
  'created_ms', now, 'boxes', bx, 'boxes_ms', at, 'boxes_snapshot_id', snap)
redis.call('ZADD', k.alarms, at, akey)
if route == 'verify' and not redis.call('GET', k.recent) then
  local near = redis.call('GEOSEARCH', k.geo, 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'm',
                          'ASC', 'COUNT', 1)
  if #near > 0 then
    redis.call('HSET', k.alarm, 'case_no', near[1])
    return {'merge', near[1]}
  end
  redis.call('ZADD', k.vqueue, at, akey)
  return {'verify', ''}
end
return attach(k, lon, lat, radius, case_prefix)
end
"""

ALARM_FIELDS = 14
"""Fields of one alert's record in ``ALARM_BATCH`` (joined by the unit separator, 0x1F): key,
type, event id, seq, at, confidence, grid, category, lon, lat, route, snapshot id, box id,
boxes (``hub.store.boxes.encode``; '' when the alert has none)."""

BATCH_KEYS = 5
"""``ALARM_BATCH``'s KEYS: the timers, the alarm index, the operator queue, the follow-up
intents and today's case counter; then three per record, in order: the alarm's hash, its
recent-case key and the open-case index of its grid and category (``batch_keys``)."""

ALARM_BATCH = (
    f"local BATCH_KEYS = {BATCH_KEYS}\n"
    + _ATTACH
    + _STEP
    + """
local function split(s)
  local t, start = {}, 1
  while true do
    local i = string.find(s, '\\31', start, true)
    if not i then
      t[#t + 1] = string.sub(s, start)
      return t
    end
    t[#t + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end
local case_prefix, rearm, clear_after, radius, now = ARGV[1], tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4], ARGV[5]
if #KEYS ~= BATCH_KEYS + 3 * (#ARGV - 5) then
  return redis.error_reply('alarm batch of ' .. (#ARGV - 5) .. ' records declares ' .. #KEYS ..
    ' keys, expected ' .. (BATCH_KEYS + 3 * (#ARGV - 5)))
end
local k = {timers = KEYS[1], alarms = KEYS[2], vqueue = KEYS[3], followups = KEYS[4]}
k.counter = KEYS[5]
local FOLLOW_UP = {create = true, merge = true, reopen = true, verify = true}
local out = {}
for i = 6, #ARGV do
  local f = split(ARGV[i])
  if #f ~= 14 then return redis.error_reply('alarm record ' .. (i - 5) .. ' has ' .. #f ..
    ' fields, expected 14') end
  local b = BATCH_KEYS + 3 * (i - 6)
  k.alarm = KEYS[b + 1]
  k.recent = KEYS[b + 2]
  k.geo = KEYS[b + 3]
  local r = step(k, case_prefix, rearm, clear_after, radius, now, f[1], f[2], f[3],
    tonumber(f[4]), tonumber(f[5]), f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14])
  if FOLLOW_UP[r[1]] then
    redis.call('HSET', k.followups, f[1] .. '|' .. f[3] .. '|' .. f[4], r[1] .. '|' .. r[2])
  end
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
end
return out
"""
)

INBOX_ADD = """
local maxlen, rx = ARGV[1], ARGV[2]
for i = 3, #ARGV, 2 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'k', ARGV[i], 'p', ARGV[i + 1], 'rx', rx)
end
return (#ARGV - 2) / 2
"""

FILE_ALARM = (
    _ATTACH
    + """
local akey, radius, case_prefix, grid, cat = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local k = {vqueue = KEYS[1], alarm = KEYS[2], recent = KEYS[3], geo = KEYS[4]}
k.counter = KEYS[5]
local f = redis.call('HMGET', k.alarm, 'grid_code', 'category', 'lon', 'lat')
if f[1] and (f[1] ~= grid or f[2] ~= cat) then return {'moved', f[1] .. '|' .. f[2]} end
if redis.call('ZREM', k.vqueue, akey) == 0 then return {'not_queued', ''} end
return attach(k, f[3], f[4], radius, case_prefix)
"""
)
"""KEYS: the operator queue, the alarm's hash, its recent-case key, the open-case index of
the grid and category the caller read from the alarm, today's case counter. ARGV: alarm
key, merge radius (m), case-number prefix, that grid and category. ``{'moved', grid|cat}``
when the alarm's grid or category is not the one the caller declared the index of."""

CASE_APPEND = """
local no, expected, event, state, tier, changes_max = ARGV[1], tonumber(ARGV[2]), ARGV[3],
  ARGV[4], ARGV[5], ARGV[6]
local c = KEYS[1]
local log = KEYS[2]
local changes = KEYS[3]
local effects = cjson.decode(ARGV[7])
local declared = {}
for i = 4, #KEYS do declared[KEYS[i]] = true end
for _, command in ipairs(effects) do
  if not declared[command[2]] then
    return redis.error_reply('side effect ' .. tostring(command[1]) .. ' on undeclared key ' ..
      tostring(command[2]))
  end
end
local have = tonumber(redis.call('HGET', c, 'events') or '0')
if have ~= expected then return {0, have} end
redis.call('RPUSH', log, event)
redis.call('HSET', c, 'events', have + 1, 'state', state, 'tier', tier)
for i = 8, #ARGV, 2 do redis.call('HSET', c, ARGV[i], ARGV[i + 1]) end
redis.call('XADD', changes, 'MAXLEN', '~', changes_max, '*', 'kind', 'case',
  'case_no', no, 'event', event)
for _, command in ipairs(effects) do redis.call(unpack(command)) end
return {1, have + 1}
"""
"""KEYS: the case hash, its event log, the change stream, then every key the side effects
touch (each effect's second word; one not declared is refused before anything is written).
ARGV: case number, expected log length, event JSON, state, tier, changes max, the side
effects (a JSON list of commands, each a list of strings, run only if the event was
appended), then field/value pairs for the case hash."""

CLAIM_TIMER = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not score) or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

OPEN_AMONG = """
local open = {}
for _, s in ipairs(ARGV) do open[s] = true end
local out = {}
for _, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, 'state', 'case_no')
  if row[1] and open[row[1]] then
    out[#out + 1] = row[1]
    out[#out + 1] = row[2] or ''
  end
end
return out
"""
"""KEYS: case hashes. ARGV: the open states. Returns, for each case whose state is one of
them, its state and the number its hash holds ('' for a half-written one): one reply for a
slice of the window, not one per case."""
