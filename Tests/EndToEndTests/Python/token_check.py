"""Checks workspace tokens as docs/gateway.md describes them, independently of Switchboard's code.

usage: python3 token_check.py SECRET_FILE TOKEN...

For each token, one line: `ok <claims as JSON>` when it is a JWT signed with HS256 under the
secret file's bytes (less trailing newlines, \n or \r\n), with a header of alg HS256 (typ JWT or none) and
the claims sub, workspace and role valid, exp in the future and nbf, if any, past; else `refused: <why>`. Exit
status 0 when every token is ok, 1 otherwise. Standard library only.
"""
import base64
import hashlib
import hmac
import json
import re
import sys
import time

ID = re.compile(r"[A-Za-z0-9._@-]{1,64}\Z")
ROLES = {"agent", "supervisor", "admin", "owner"}


def b64url_decode(text):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError(f"{text[:20]!r} is not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check(secret, token, now):
    parts = token.split(".")
    if len(parts) != 3:
        return None, f"{len(parts)} parts, expected 3"
    header, claims = (json.loads(b64url_decode(part)) for part in parts[:2])
    if header.get("alg") != "HS256":
        return None, f"alg is {header.get('alg')!r}, expected HS256"
    if header.get("typ", "JWT") != "JWT":
        return None, f"typ is {header.get('typ')!r}"
    expected = hmac.new(secret, (parts[0] + "." + parts[1]).encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64url_decode(parts[2])):
        return None, "the signature does not match"
    for name in ("sub", "workspace"):
        if not isinstance(claims.get(name), str) or not ID.match(claims[name]):
            return None, f"claim {name} is {claims.get(name)!r}, expected an id"
    if claims.get("role") not in ROLES:
        return None, f"claim role is {claims.get('role')!r}"
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        return None, f"claim exp is {claims.get('exp')!r}, expected a whole number of seconds after {now}"
    if "nbf" in claims and (not isinstance(claims["nbf"], int) or claims["nbf"] > now):
        return None, f"claim nbf is {claims['nbf']!r}"
    if "iat" in claims and not isinstance(claims["iat"], int):
        return None, f"claim iat is {claims['iat']!r}"
    return claims, None


def main():
    with open(sys.argv[1], "rb") as handle:
        secret = handle.read().rstrip(b"\r\n")
    now, failed = int(time.time()), False
    for token in sys.argv[2:]:
        try:
            claims, problem = check(secret, token.strip(), now)
        except ValueError as error:  # bad base64 or JSON (json.JSONDecodeError is a ValueError)
            claims, problem = None, str(error)
        if problem:
            failed = True
            print(f"refused: {problem}")
        else:
            print("ok " + json.dumps(claims, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
