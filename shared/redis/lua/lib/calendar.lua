-- lib/calendar.lua: UTC calendar arithmetic on ms timestamps, for quota refills.

local DAY_MS = 86400000

-- Days since 1970-01-01 → year, month, day (H. Hinnant's civil_from_days).
local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- Year, month, day → days since 1970-01-01.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- The same time one calendar month later; the 29th-31st fall back to the month's last day.
local function add_month(ms)
  local days = math.floor(ms / DAY_MS)
  local time_of_day = ms - days * DAY_MS
  local y, m, d = civil_from_days(days)
  m = m + 1
  if m > 12 then m, y = 1, y + 1 end
  local leap = (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
  local month_days = { 31, leap and 29 or 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if d > month_days[m] then d = month_days[m] end
  return days_from_civil(y, m, d) * DAY_MS + time_of_day
end

-- The refill boundary after `ms` for an interval: 'daily' or 'monthly'.
local function next_refill(ms, interval)
  if interval == 'monthly' then return add_month(ms) end
  return ms + DAY_MS
end
