"""Provisions N hosts for bench/hotpath.sh through the SCIM API.

Usage: python3 provision.py URL TOKEN N [CONNECTIONS]

POSTs Entra ID-shaped users host-000001@bench.example … over a few
keep-alive connections (each create is one durable SQLite transaction).
"""

import http.client
import json
import sys
import threading
import urllib.parse


def user(n):
    name = "host-%06d@bench.example" % n
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "userName": name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": name}],
        "name": {"familyName": "Host %d" % n, "givenName": "Bench"},
        "phoneNumbers": [{"type": "work", "value": "+1 206 555 %04d" % (n % 10000)}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Front Desk",
            "organization": "Northwind Traders",
        },
    }


def worker(url, token, numbers, failures):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {
        "Authorization": "Bearer " + token,
        "Content-Type": "application/scim+json",
    }
    for n in numbers:
        conn.request("POST", parsed.path + "/Users", json.dumps(user(n)), headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            failures.append("host %d: %d %s" % (n, response.status, body[:200]))
    conn.close()


def main():
    url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    failures = []
    threads = [
        threading.Thread(
            target=worker,
            args=(url, token, range(1 + i, count + 1, connections), failures),
        )
        for i in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("provisioning failed:\n" + "\n".join(failures[:10]))


main()
