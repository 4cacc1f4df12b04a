"""A smoke check over HTTP, as a client would: an organization from registration
through a photo upload, a rejected then approved verification and its public
page; a schedule, staff and a service in Europe/Berlin; availability across the
spring DST change; booking, a refused overlap, 50 concurrent bookings without
overlap, reschedule, cancel, deadlines, one reminder for two schedule runs,
payment and completion with the customer told, the history, a viewer's and an
outsider's access, the calendar feed, analytics and customers.

Against a fresh runner (it moves the runner's clock):
    PLATFORM_ADMINS=admin@example.com cargo dev --port 3111 --data-dir /tmp/smoke &
    python3 infra/smoke.py
"""
import json, urllib.request, urllib.error, re, sys, concurrent.futures as cf
B = "http://127.0.0.1:3111"
def call(method, path, body=None, token=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(B + path, data=data, method=method)
    if body is not None: req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items(): req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            raw = r.read().decode(); ct = r.headers.get("content-type", "")
            return r.status, (json.loads(raw) if "json" in ct and raw else raw)
    except urllib.error.HTTPError as e:
        raw = e.read().decode()
        return e.code, (json.loads(raw) if raw else None)
def ok(cond, what):
    print(("ok   " if cond else "FAIL ") + what); 
    if not cond: ok.failed += 1
ok.failed = 0
def mails(): return call("GET", "/_dev/mail.json")[1]
def user(email):
    call("POST", "/v1/auth/signup", {"email": email, "password": "correct horse battery", "name": "Test"})
    import time
    for _ in range(50):
        links = [l for m in mails() if m["to"] == email and m["type"] == "verify_email" for l in m["links"]]
        if links: break
        time.sleep(0.2)
    link = links[0]
    tok = link.split("token=")[1]
    call("POST", "/v1/auth/verify-email", {"token": tok})
    s, r = call("POST", "/v1/auth/login", {"email": email, "password": "correct horse battery", "device_id": "d1"})
    return r["access_token"]
call("POST", "/_dev/clock", {"now": "2027-03-22T06:00:00Z"})
admin = user("admin@example.com"); owner = user("owner@smoke.test")
s, org = call("POST", "/v1/orgs", {"name": "Smoke Salon", "slug": "smoke-salon", "category": "beauty", "timezone": "Europe/Berlin"}, owner)
ok(s == 201 and org["status"] == "pending", f"register org {s}")
oid = org["id"]
s, up = call("POST", f"/v1/orgs/{oid}/media/uploads", {"kind": "photo", "content_type": "image/png", "size": 4}, owner)
ok(s == 201, f"presign photo {s}")
req = urllib.request.Request(up["upload"]["url"], data=b"\x89PNG", method="PUT", headers=up["upload"]["headers"])
ok(urllib.request.urlopen(req).status == 200, "PUT the photo")
s, _ = call("POST", f"/v1/orgs/{oid}/media/uploads", {"kind": "photo", "content_type": "image/gif", "size": 4}, owner)
ok(s == 422, f"gif refused {s}")
s, p = call("PATCH", f"/v1/orgs/{oid}", {"description": "Cuts", "address": {"street": "Hauptstr. 1", "city": "Berlin", "country": "DE"}, "phone": "+49301234567", "photos": [up["public_url"]]}, owner)
ok(s == 200, f"profile {s} {p if s!=200 else ''}")
s, _ = call("POST", f"/v1/orgs/{oid}/verification", {}, owner); ok(s in (200, 201, 202), f"submit verification {s}")
s, _ = call("POST", f"/v1/admin/orgs/{oid}/verification", {"decision": "reject", "comment": "Photo unclear"}, admin); ok(s == 200, f"reject {s}")
s, _ = call("POST", f"/v1/orgs/{oid}/verification", {}, owner); ok(s in (200, 201, 202), f"resubmit {s}")
s, _ = call("POST", f"/v1/admin/orgs/{oid}/verification", {"decision": "approve", "comment": "ok"}, admin); ok(s == 200, f"approve {s}")
s, pub = call("GET", "/v1/public/orgs/smoke-salon"); ok(s == 200, f"public page {s}")
day = [{"start": "09:00", "end": "17:00"}]
s, _ = call("PUT", f"/v1/orgs/{oid}/schedule", {"timezone": "Europe/Berlin", "weekly": {d: day for d in ["mon","tue","wed","thu","fri","sat","sun"]}, "max_days_ahead": 365, "slot_step_minutes": 30}, owner)
ok(s == 200, f"schedule {s}")
s, st = call("POST", f"/v1/orgs/{oid}/staff", {"name": "Alex"}, owner); ok(s == 201, f"staff {s}")
s, sv = call("POST", f"/v1/orgs/{oid}/services", {"name": "Haircut", "duration_minutes": 60, "price": {"amount": 3000, "currency": "EUR"}, "status": "published"}, owner)
ok(s == 201, f"service {s}"); sid = sv["id"]
s, av = call("GET", f"/v1/public/orgs/smoke-salon/availability?service_id={sid}&from=2027-03-27&to=2027-03-28")
offsets = {d["date"]: {sl["start"][-6:] for sl in d["slots"]} for d in av["days"]}
ok(offsets.get("2027-03-27") == {"+01:00"} and offsets.get("2027-03-28") == {"+02:00"}, f"DST offsets {offsets}")
cust = {"name": "Chloé", "phone": "+49 30 1234567", "email": "chloe@example.com"}
def book(start): return call("POST", "/v1/public/orgs/smoke-salon/bookings", {"service_id": sid, "start": start, "customer": cust})
s, b1 = book("2027-03-24T10:00:00+01:00"); ok(s == 201, f"book {s}")
s, _ = book("2027-03-24T10:30:00+01:00"); ok(s == 409, f"overlap refused {s}")
starts = [f"2027-03-25T{h:02d}:{m:02d}:00+01:00" for h in range(9, 16) for m in (0, 30)]
with cf.ThreadPoolExecutor(25) as ex: codes = list(ex.map(lambda i: book(starts[i % len(starts)])[0], range(50)))
s, cal = call("GET", f"/v1/orgs/{oid}/bookings?from=2027-03-25&to=2027-03-25&limit=100", token=owner)
items = sorted((i["start"], i["end"]) for i in cal["items"] if i["status"] in ("pending", "confirmed"))
overlap = any(a[1] > b[0] for a, b in zip(items, items[1:]))
ok(not overlap and codes.count(201) == len(items), f"50 concurrent: {codes.count(201)} booked, {codes.count(409)} refused, overlap={overlap}")
bid, tok = b1["booking_id"], b1["manage_token"]
s, r = call("POST", f"/v1/bookings/{bid}/reschedule?token={tok}", {"start": "2027-03-24T13:00:00+01:00"}); ok(s == 200, f"customer reschedule {s}")
s, b2 = book("2027-03-26T10:00:00+01:00"); 
s, r = call("POST", f"/v1/orgs/{oid}/bookings/{b2['booking_id']}/cancel", {"reason": "closed"}, owner); ok(s == 200, f"business cancel {s}")
s, r = call("POST", f"/v1/orgs/{oid}/bookings/{bid}/complete", {}, owner); ok(s == 409 and r["code"] == "too_early", f"complete too early {s}")
# Reminders: the day before 13:00 on the 24th, then the lead reminder.
call("POST", "/_dev/clock", {"now": "2027-03-23T12:05:00Z"})
call("POST", "/_dev/schedules/booking-reminders/run", {}); call("POST", "/_dev/schedules/booking-reminders/run", {})
import time; time.sleep(3)
rem = [m for m in mails() if m["type"] == "booking_reminder" and m["to"] == "chloe@example.com"]
ok(len(rem) == 1, f"one reminder after two runs: {len(rem)}")
call("POST", "/_dev/clock", {"now": "2027-03-25T09:05:00Z"})
s, r = call("POST", f"/v1/bookings/{b2['booking_id']}/cancel?token={b2['manage_token']}", {}); ok(s == 409, f"cancelled cannot be cancelled again {s}")
s, r = call("POST", f"/v1/bookings/{bid}/cancel?token={tok}", {}); ok(s == 409 and r["code"] == "change_deadline_passed", f"deadline {s} {r and r.get('deadline')}")
# After the visit: paid by card and completed; the customer hears of both, and
# the history tells the whole story.
login = call("POST", "/v1/auth/login", {"email": "owner@smoke.test", "password": "correct horse battery", "device_id": "d1"})[1]["access_token"]
s, r = call("POST", f"/v1/orgs/{oid}/bookings/{bid}/mark-paid", {"method": "card"}, login); ok(s == 200 and r["payment_status"] == "paid", f"mark paid {s}")
s, r = call("POST", f"/v1/orgs/{oid}/bookings/{bid}/complete", {}, login); ok(s == 200 and r["status"] == "completed", f"complete {s}")
time.sleep(3)
chloe = {m["type"]: m for m in mails() if m["to"] == "chloe@example.com"}
ok({"booking_paid", "booking_completed", "booking_cancelled"} <= set(chloe), f"customer told: {sorted(chloe)}")
ok("30.00 EUR" in chloe.get("booking_paid", {}).get("text", ""), "receipt names the amount")
ok([a["filename"] for a in chloe.get("booking_cancelled", {}).get("attachments", [])] == ["booking.ics"], "cancel email carries the .ics")
s, h = call("GET", f"/v1/orgs/{oid}/bookings/{bid}/history", token=login)
ok(s == 200 and [e["action"] for e in h["items"]] == ["book", "reschedule", "mark-paid", "complete"], f"history {s} {[e['action'] for e in h['items']] if s == 200 else h}")
# A viewer reads the calendar but may not change bookings; an outsider sees nothing.
s, _ = call("POST", f"/v1/orgs/{oid}/invites", {"email": "viewer@smoke.test", "role": "viewer"}, login); ok(s == 201, f"invite viewer {s}")
viewer = user("viewer@smoke.test")
code = [l for m in mails() if m["to"] == "viewer@smoke.test" and m["type"] == "invite" for l in m["links"]][0].rstrip("/").rsplit("/", 1)[1]
s, _ = call("POST", f"/v1/invites/{code}/accept", None, viewer); ok(s in (200, 201), f"accept invite {s}")
s, _ = call("GET", f"/v1/orgs/{oid}/bookings?from=2027-03-24&to=2027-03-24", token=viewer); ok(s == 200, f"viewer reads bookings {s}")
s, _ = call("POST", f"/v1/orgs/{oid}/bookings/{bid}/no-show", {}, viewer); ok(s == 403, f"viewer cannot change a booking {s}")
outsider = user("outsider@smoke.test")
s, _ = call("GET", f"/v1/orgs/{oid}/bookings/{bid}", token=outsider); ok(s == 404, f"outsider gets 404 {s}")
call("POST", "/_dev/clock", {"now": "2027-03-22T07:00:00Z"})
login = call("POST", "/v1/auth/login", {"email": "owner@smoke.test", "password": "correct horse battery", "device_id": "d1"})[1]["access_token"]
s, feed = call("POST", f"/v1/orgs/{oid}/calendar-feeds", {}, login); ok(s == 201, f"feed {s}")
s, ics = call("GET", feed["path"]); ok(s == 200 and ics.startswith("BEGIN:VCALENDAR") and "END:VCALENDAR" in ics and ics.count("BEGIN:VEVENT") >= 3, f"ics feed {s}")
ok(feed.get("url", "").startswith(B) and feed.get("webcal_url", "").startswith("webcal://"), f"feed url {feed.get('url')}")
with urllib.request.urlopen(feed["url"]) as r: ok(r.read().decode().startswith("BEGIN:VCALENDAR"), "feed url serves the calendar")
s, an = call("GET", f"/v1/orgs/{oid}/analytics/bookings?from=2027-03-20&to=2027-03-31&granularity=week", token=login); ok(s == 200, f"analytics {s}")
s, cs = call("GET", f"/v1/orgs/{oid}/customers?q=chlo", token=login); ok(s == 200 and len(cs["items"]) == 1, f"customers {s} {len(cs['items']) if s==200 else cs}")
print("FAILED", ok.failed); sys.exit(1 if ok.failed else 0)
