def test_full_flow(rw):
    item = rw.closure_requested()
    url = f"/api/rectifications/{item['id']}"
    assert item["status"] == "closure_requested"
    v = rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "desk", "passed": True, "reason": "资料齐全"},
    )
    assert v["status"] == "closed", v
    page = rw.get(rw.supervisor, "/api/rectifications")
    assert page["total"] == 1
    assert rw.get(rw.responder_b, "/api/rectifications")["total"] == 0
    d = rw.get(rw.responder_a, url)
    assert "verifications" not in d and "source_plan" not in d
    print(d["history"])
