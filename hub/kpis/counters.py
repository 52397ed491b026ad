"""Live KPI counters in Redis: ``hub.domain.kpi_counters.fold`` as one Lua script, and the
read of one scope's figures in one call.

Keys, under the hub's key root: ``kpi:{day}:{scope}`` a hash of counters (cases, open,
closed, on_time, tier:{name}, resolved_ever, reworked); ``kpi:{day}:{scope}:accept`` and
``:resolve`` sorted sets (member case number, score seconds) for the medians;
``kpi:{day}:areas`` the scopes that ever had a case that day; and per case
``case:{no}:kpi`` the share counted last, with the sequence number of its event. Every key
the scripts touch is declared in KEYS (the district's hash tag keeps them in one slot).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from hub.domain.case_state import CaseView
from hub.domain.kpi_counters import COUNTY, Share, figures, median, share
from hub.store.keys import Keys, text

if TYPE_CHECKING:
    from hub.district import District
    from hub.services.context import HubContext

FOLD = """
local no, seq, raw = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local m = #ARGV - 3
local idx = {}
for j = 1, m do idx[ARGV[3 + j]] = j end
local new = cjson.decode(raw)
local old_raw = redis.call('GET', KEYS[1])
local old = nil
if old_raw then
  old = cjson.decode(old_raw)
  if tonumber(old.seq) >= seq then return 0 end
  if old.day ~= new.day then
    return redis.error_reply('case ' .. no .. ' counted on ' .. old.day .. ', now ' .. new.day)
  end
  for _, code in ipairs(old.codes) do
    if not idx[code] then return {'stale', code} end
  end
end
local delta, order = {}, {}
local function count(s, sign)
  for _, code in ipairs(s.codes) do
    for _, c in ipairs(s.c) do
      local id = code .. '|' .. c[1]
      if delta[id] == nil then
        delta[id] = {2 + idx[code], c[1], 0}
        order[#order + 1] = id
      end
      delta[id][3] = delta[id][3] + sign * c[2]
    end
  end
end
local SET = {accept = 1, resolve = 2}
if old then
  count(old, -1)
  for _, code in ipairs(old.codes) do
    for _, t in ipairs(old.z) do redis.call('ZREM', KEYS[2 + m * SET[t[1]] + idx[code]], no) end
  end
end
count(new, 1)
for _, id in ipairs(order) do
  local d = delta[id]
  if d[3] ~= 0 then redis.call('HINCRBY', KEYS[d[1]], d[2], d[3]) end
end
for _, code in ipairs(new.codes) do
  for _, t in ipairs(new.z) do
    redis.call('ZADD', KEYS[2 + m * SET[t[1]] + idx[code]], t[2], no)
  end
  redis.call('SADD', KEYS[2], code)
end
redis.call('SET', KEYS[1], raw)
return 1
"""
"""KEYS: the case's share, the day's areas set, then for each of the m declared scopes its
counter hash, then their accept sets, then their resolve sets. ARGV: case number, the
event's sequence number, the new share (JSON), the m scope codes. Returns 1 when counted,
0 when an event this new was counted already, ``['stale', code]`` when the share counted
before names a scope the caller did not declare (read it again and retry)."""

READ = """
local out = {redis.call('HGETALL', KEYS[1])}
for i = 2, 3 do
  local n = redis.call('ZCARD', KEYS[i])
  if n == 0 then
    out[#out + 1] = {}
  else
    out[#out + 1] = redis.call('ZRANGE', KEYS[i], math.floor((n - 1) / 2), math.floor(n / 2),
      'WITHSCORES')
  end
end
return out
"""
"""KEYS: one scope's counter hash, its accept and resolve sets. Returns the counters and the
middle one or two entries of each set: a fixed handful of commands whatever the cases."""


@dataclass(frozen=True)
class KpiPlan:
    """What the counters need from the district: time zone, tier names, grid parents."""

    tz: ZoneInfo
    tiers: tuple[str, ...]
    parents: Mapping[str, str | None]


class KpiCounters:
    def __init__(self, redis: Redis, keys: Keys, plan: KpiPlan) -> None:
        self.r, self.k, self.plan = redis, keys, plan
        self._fold = redis.register_script(FOLD)
        self._read = redis.register_script(READ)

    def counter_key(self, day: str, scope: str) -> str:
        return f"{self.k.prefix}:kpi:{day}:{scope}"

    def areas_key(self, day: str) -> str:
        return f"{self.k.prefix}:kpi:{day}:areas"

    def share_key(self, case_no: str) -> str:
        return f"{self.k.case(case_no)}:kpi"

    async def fold(self, case_no: str, view: CaseView) -> bool:
        """Count the case as ``view`` (after its event ``view.events``) shows it; False when
        that event, or a later one, was counted already."""
        s = share(view, self.plan.tiers, self.plan.tz, self.plan.parents)
        if s is None:
            return False
        raw = json.dumps(_doc(view.events, s), separators=(",", ":"))
        declared = list(s.scopes)
        for _ in range(3):
            old: Any = await self.r.get(self.share_key(case_no))
            if old is not None:
                for code in json.loads(old)["codes"]:
                    if code not in declared:
                        declared.append(code)
            hashes = [self.counter_key(s.day, c) for c in declared]
            keys = [
                self.share_key(case_no),
                self.areas_key(s.day),
                *hashes,
                *(f"{h}:accept" for h in hashes),
                *(f"{h}:resolve" for h in hashes),
            ]
            got: Any = await self._fold(keys=keys, args=[case_no, view.events, raw, *declared])
            if not isinstance(got, list):
                return bool(got)
        raise RuntimeError(f"case {case_no}: its KPI share kept changing scopes")

    async def scope(self, day: str, scope: str | None) -> dict[str, Any]:
        """The figures of one scope (county when None) on ``day``."""
        key = self.counter_key(day, scope or COUNTY)
        raw: Any = await self._read(keys=[key, f"{key}:accept", f"{key}:resolve"])
        flat = [text(x) for x in raw[0]]
        counts = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
        meds = [median([float(x) for x in z[1::2]]) for z in raw[1:]]
        return figures(counts, self.plan.tiers, meds[0], meds[1])

    async def areas(self, day: str, width: int, within: str | None) -> list[str]:
        """Codes of one level (``width`` digits) that had cases on ``day``, inside ``within``."""
        raw: Any = await self.r.smembers(self.areas_key(day))
        return sorted(
            c
            for c in (text(x) for x in raw)
            if len(c) == width and c.isdigit() and c.startswith(within or "")
        )


def _doc(seq: int, s: Share) -> dict[str, Any]:
    return {
        "seq": seq,
        "day": s.day,
        "codes": list(s.scopes),
        "c": [list(c) for c in s.counts],
        "z": [list(t) for t in s.timings],
    }


def kpi_plan(ctx: HubContext, district: District) -> KpiPlan:
    """The district's time zone, tier names (the default policy's) and grid parents."""
    parents = {g.code: g.parent_code for g in district.grids.values() if g.parent_code}
    return KpiPlan(ZoneInfo(ctx.calendar.timezone), tuple(ctx.tiers), parents)
