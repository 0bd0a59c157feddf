"""Opens a gateway's Server-Sent Events stream with a token and prints what came first.

usage: python3 sse_first_event.py PORT PATH TOKEN

Prints `status <code>`, then for 200 the first event (`event <name>` and `data <json>`,
comments such as `: ping` skipped), else `body <the response body>`. Standard library only;
gives up after 10 s without a byte.
"""
import http.client
import sys


def main():
    port, path, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    response = connection.getresponse()
    print(f"status {response.status}")
    if response.status != 200:
        print("body " + response.read().decode("utf-8", "replace"))
        return 0
    fields = {}
    while True:
        line = response.readline().decode("utf-8")
        if not line:
            print("the stream ended before its first event")
            return 1
        line = line.rstrip("\r\n")
        if line.startswith(":"):
            continue
        if not line:
            if fields:
                break
            continue
        name, _, value = line.partition(":")
        fields[name] = fields.get(name, "") + ("\n" if name in fields else "") + value.removeprefix(" ")
    print("event " + fields.get("event", ""))
    print("id " + fields.get("id", ""))
    print("data " + fields.get("data", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
