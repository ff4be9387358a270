"""A small PVADeals client, as integrators write them against PVADeals' API collection: plain
requests, nothing from mockserver. Like the published ones, it always sends areaCode, reads
prices as STRprice, rents numbers for days and finds them again through GET /requests."""
from __future__ import annotations

import time

import requests


class PVADealsError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


class PVADealsClient:
    def __init__(self, base_url: str, api_key: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
        body = response.json()
        if response.status_code != 200:
            raise PVADealsError(response.status_code, body.get("message", ""))
        return body["data"]

    def balance(self) -> float:
        return self._call("GET", "/balance")["credits"]

    def service(self, name: str) -> dict:
        return next(s for s in self._call("GET", "/services/all")["services"] if s["name"] == name)

    def service_id(self, name: str) -> str:
        return self.service(name)["_id"]

    def price(self, service_name: str, days: int | None = None) -> float:
        """A short-term number's price (STRprice), or a rental's for so many days (LTR{days}price)."""
        return self.service(service_name)["STRprice" if days is None else f"LTR{days}price"]

    def purchase(self, service_name: str, area_code: str = "") -> dict:
        body = {"services": [{"serviceId": self.service_id(service_name), "areaCode": area_code}]}
        return self._call("POST", "/purchase", json=body)["requests"][0]

    def rent(self, service_name: str, days: int, area_code: str = "") -> dict:
        """A long-term rental; "ALL_SERVICES" (28 days) takes SMS from any service."""
        service_id = service_name if service_name == "ALL_SERVICES" else self.service_id(service_name)
        return self._call("POST", "/purchase-ltr", json={"serviceId": service_id, "duration": days,
                                                         "areaCode": area_code})

    def toggle_auto_renew(self, request_id: str) -> bool:
        """Turn a rental's auto-renew on if it was off, off if on; answers the new setting."""
        return self._call("POST", f"/renew-ltr/{request_id}")["autoRenewEnable"]

    def find_request(self, request_id: str, page_size: int = 20) -> dict | None:
        """A request found again by walking GET /requests, short-term numbers and rentals alike."""
        after = None
        while True:
            query = {"first": page_size, "orderField": "_id", "orderBy": "desc", **({"after": after} if after else {})}
            page = self._call("GET", "/requests", params=query)["data"]
            found = next((e["node"] for e in page["edges"] if e["node"]["_id"] == request_id), None)
            if found is not None or not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def request(self, request_id: str) -> dict:
        return self._call("GET", f"/request/{request_id}")

    def flag(self, request_id: str) -> None:
        self._call("POST", f"/flag/{request_id}")

    def wait_for_sms(self, request_id: str, *, attempts: int = 5, pause_s: float = 0.0) -> dict:
        """Poll until the request is COMPLETED (or give up): what a bot does while waiting."""
        for _ in range(attempts):
            request = self.request(request_id)
            if request["status"] != "RESERVED":
                return request
            time.sleep(pause_s)
        return request
