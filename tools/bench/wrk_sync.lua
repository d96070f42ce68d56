-- wrk: POST /api/sync with a new record per request (every request a durable resolution).
-- SYNCHUB_TOKEN, when set, is sent as a bearer token (CRM's: every event is CRM's).
local counter = 0
local headers = {["Content-Type"] = "application/json"}
local token = os.getenv("SYNCHUB_TOKEN")
if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"externalId":"WRK-%d-%d-%d","source":"CRM","version":1,"fullName":"n%d","email":"e%d"}',
    os.time(), thread_id, counter, counter, counter)
  return wrk.format("POST", "/api/sync", headers, body)
end
