"""Checks the deployment files against the package, without Docker, kubectl or systemd.

usage: python3 deploy_check.py [REPO_ROOT]      (default: three folders above this file)

Checks docker-compose.yml, docker-compose.cluster.yml and docker-compose.tls.yml (against the official Compose
Specification schema that check-jsonschema ships as `vendor.compose-spec`, then
structurally: the cluster file's nodes, its one cluster-creating service, and workers
seeded with every node), .dockerignore,
Deploy/Dockerfile, Deploy/kubernetes/*.yaml, Deploy/systemd/* and Deploy/README.md against
Package.swift and Sources/SwitchboardCLI (product name, subcommand, target folders,
environment variables). One line per check, then `deploy: N passed, M failed`; exit status
1 when any check failed. The last check feeds deliberately broken copies of the files to
the same checks and expects each to be caught, so a pass here means something.
Needs PyYAML and check-jsonschema (scripts/test.sh installs both).
"""
import copy
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

# The worker's contract: the environment variables `switchboard worker` reads. The names
# its options declare in Sources/SwitchboardCLI are added at run time (worker_env).
# TLS to Redis (docs/operations.md#tls-to-redis): the files each deployment mounts.
TLS_ENV = {"REDIS_TLS_CA_FILE", "REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE"}
CONTRACT_ENV = TLS_ENV | {"REDIS_URL", "REDIS_PASSWORD_FILE", "SWITCHBOARD_PREFIX", "SWITCHBOARD_WORKER_NAME", "SWITCHBOARD_HTTP",
                "SWITCHBOARD_LOG_FORMAT", "SWITCHBOARD_LOG_LEVEL", "SWITCHBOARD_GATEWAY", "SWITCHBOARD_GATEWAY_SECRET_FILE"}
RUNTIME_ENV = {"SWIFT_BACKTRACE"}  # read by the Swift runtime in the image, not by Switchboard
HTTP_PORT = 9464
# The gateway (docs/gateway.md): its port in every deployment file, the open files a worker
# needs for its default --gateway-max-connections (10000) and more, and the shortest key
# the worker accepts (a placeholder secret must be shorter, so it can never be used).
GATEWAY_PORT, OPEN_FILES, SECRET_MINIMUM = 8080, 10240, 32
BUILD_IMAGE, RUNTIME_IMAGE = "swift:6.3-bookworm", "debian:bookworm-slim"
APT_BUILD, APT_RUNTIME = {"libhiredis-dev", "libssl-dev"}, {"libhiredis0.14", "libssl3", "curl", "ca-certificates"}
WORKER_SERVICE, IMAGE_NAME = "switchboard", "switchboard"


def path(*parts):
    return os.path.join(REPO, *parts)


def read(relative):
    with open(path(relative), encoding="utf-8") as handle:
        return handle.read()


# ---- facts from the package ------------------------------------------------------------

def balanced(text, open_index):
    """The text from the "(" at open_index to its matching ")", skipping string literals."""
    depth, index, in_string = 0, open_index, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[open_index:index + 1]
        index += 1
    raise ValueError("unbalanced parentheses in Package.swift")


def package_facts():
    text = read("Package.swift")
    facts = {"executables": set(re.findall(r'\.executable\(\s*name:\s*"([^"]+)"', text)), "targets": {}, "apt": set()}
    for match in re.finditer(r"\.(target|executableTarget|testTarget|systemLibrary)\(", text):
        body = balanced(text, match.end() - 1)
        name = re.search(r'name:\s*"([^"]+)"', body)
        if not name:
            continue
        custom = re.search(r'\bpath:\s*"([^"]+)"', body)
        default_root = "Tests" if match.group(1) == "testTarget" else "Sources"
        facts["targets"][name.group(1)] = custom.group(1) if custom else f"{default_root}/{name.group(1)}"
    for listing in re.findall(r"\.apt\(\[([^\]]*)\]\)", text):
        facts["apt"] |= set(re.findall(r'"([^"]+)"', listing))
    return facts


def cli_sources():
    sources = {}
    for file in sorted(glob.glob(path("Sources", "SwitchboardCLI", "*.swift"))):
        with open(file, encoding="utf-8") as handle:
            sources[os.path.basename(file)] = handle.read()
    return sources


def worker_command_file(sources):
    for name, text in sources.items():
        if re.search(r'CommandSpec\(\s*name:\s*"worker"', text):
            return name, text
    return None, ""


def subcommands(sources):
    """Top-level subcommand names: specs whose enum's `.spec` the root command lists."""
    root = sources.get("main.swift", "")
    listed = set(re.findall(r"(\w+)\.spec", root))
    names = set()
    for text in sources.values():
        enum = re.search(r"\benum (\w+)", text)
        spec = re.search(r'static let spec = CommandSpec\(\s*name:\s*"([\w-]+)"', text)
        if enum and spec and enum.group(1) in listed:
            names.add(spec.group(1))
    return names


def worker_env(sources):
    _, text = worker_command_file(sources)
    return CONTRACT_ENV | set(re.findall(r'environment:\s*"([A-Z0-9_]+)"', text))


FACTS = package_facts()
CLI = cli_sources()
KNOWN_ENV = worker_env(CLI)


# ---- small parsers ---------------------------------------------------------------------

def env_mapping(environment):
    """Compose `environment` (mapping or KEY=VALUE list) as a dict."""
    if isinstance(environment, dict):
        return {str(key): value for key, value in environment.items()}
    mapping = {}
    for item in environment or []:
        key, sep, value = str(item).partition("=")
        mapping[key] = value if sep else None
    return mapping


def seconds(duration):
    """Compose/systemd durations such as 15s, 1m30s, 500ms, 20."""
    text = str(duration).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, units = 0.0, {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6, "min": 60}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|us|min|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"not a duration: {duration!r}")
    for number, unit in parts:
        total += float(number) * units[unit]
    return total


def port_of(address):
    match = re.fullmatch(r"(.*):(\d+)", str(address))
    return (match.group(1), int(match.group(2))) if match else (None, None)


def command_list(command):
    return command if isinstance(command, list) else shlex.split(str(command))


def image_base(image):
    """`registry.example.com/switchboard:0.1.0` -> `switchboard`."""
    name = str(image).split("@")[0]
    last = name.split("/")[-1]
    return last.split(":")[0]


def parse_dockerfile(text):
    """[(line, INSTRUCTION, arguments)] with continuations joined and comments dropped."""
    instructions, pending, start = [], "", None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            start = start or number
            continue
        line = (pending + stripped).strip()
        pending, begin, start = "", start or number, None
        if line:
            instruction, _, arguments = line.partition(" ")
            instructions.append((begin, instruction.upper(), arguments.strip()))
    return instructions


def dockerfile_stages(instructions):
    stages = []
    for entry in instructions:
        if entry[1] == "FROM":
            words = entry[2].split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append(entry)
    return stages


def exec_form(arguments):
    return json.loads(arguments) if arguments.startswith("[") else None


def copy_parts(arguments):
    words = exec_form(arguments) or shlex.split(arguments)
    flags = {w[2:].split("=", 1)[0]: (w.split("=", 1) + [""])[1] for w in words if w.startswith("--")}
    rest = [w for w in words if not w.startswith("--")]
    return flags, rest[:-1], rest[-1] if rest else None


def env_instruction(arguments):
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def apt_packages(run_text):
    """Package names of every `apt-get install` in a RUN, and whether it cleans up."""
    packages, recommends_off = [], True
    for command in re.split(r"&&|;|\|\|", run_text):
        words = command.split()
        if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
            after = words[words.index("install") + 1:]
            recommends_off &= "--no-install-recommends" in after
            packages += [w for w in after if not w.startswith("-")]
    return packages, recommends_off


def dockerignore_patterns(text):
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
        patterns.append((negate, pattern))
    return patterns


def glob_regex(pattern):
    out, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out + r"\Z")


def ignored(relative, patterns):
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negate, pattern in patterns:
        regex = glob_regex(pattern)
        if any(regex.match(candidate) for candidate in candidates):
            result = not negate
    return result


def parse_unit(text):
    """systemd unit file -> {section: [(key, value)]}; continuation lines joined."""
    sections, current, pending = {}, None, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if pending and line and line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            if current in sections:
                raise ValueError(f"section [{current}] appears twice")
            sections[current] = []
        elif current is None:
            raise ValueError(f"setting outside any section: {line}")
        elif "=" not in line:
            raise ValueError(f"not KEY=VALUE: {line}")
        else:
            key, _, value = line.partition("=")
            sections[current].append((key.strip(), value.strip()))
    if pending:
        raise ValueError("file ends inside a continued line")
    return sections


def unit_values(sections, section, key):
    return [value for k, value in sections.get(section, []) if k == key]


def env_file(text):
    """systemd EnvironmentFile= syntax: KEY=VALUE lines, # or ; comments, optional quotes."""
    values = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        if not match:
            raise ValueError(f"line {number} is not KEY=VALUE: {line}")
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[match.group(1)] = value
    return values


def quantity(value):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G|m)?", str(value))
    if not match:
        raise ValueError(f"not a quantity: {value!r}")
    factor = {None: 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}[match.group(2)]
    return float(match.group(1)) * factor


def unknown_env(names, allowed=frozenset()):
    unknown = sorted(set(names) - KNOWN_ENV - set(allowed))
    return [f"environment variable(s) the worker does not read: {', '.join(unknown)}"] if unknown else []


# ---- docker-compose.yml ----------------------------------------------------------------

def compose_schema_problems(compose_file):
    """What `check-jsonschema --builtin-schema vendor.compose-spec` finds wrong in a compose file."""
    try:
        result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", compose_file],
                                capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return ["check-jsonschema did not finish within 120 s"]
    if "No module named check_jsonschema" in result.stderr:
        return ["check-jsonschema is not installed: run scripts/test.sh, which installs it (pip install check-jsonschema)"]
    if result.returncode == 0:
        return []
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return [f"schema: {line}" for line in lines] or [f"check-jsonschema exited {result.returncode} without a word"]


def broken_compose_schema_problems(document):
    """The same check on a changed copy of the compose document, written to a temporary file."""
    with tempfile.TemporaryDirectory() as scratch:
        compose_file = os.path.join(scratch, "docker-compose.yml")
        with open(compose_file, "w", encoding="utf-8") as handle:
            yaml.safe_dump(document, handle)
        return compose_schema_problems(compose_file)


def compose_problems(document):
    problems = []
    services = document.get("services") or {}
    volumes = document.get("volumes") or {}
    redis, worker = services.get("redis"), services.get(WORKER_SERVICE)
    if not isinstance(redis, dict):
        return ["no `redis` service"]
    if not isinstance(worker, dict):
        return [f"no `{WORKER_SERVICE}` service"]
    # Redis: version 7, AOF, a ping health check, data on a named volume.
    if not str(redis.get("image", "")).startswith("redis:7"):
        problems.append(f"redis image is {redis.get('image')!r}, expected redis:7")
    words = command_list(redis.get("command", []))
    if not any(w == "--appendonly" and i + 1 < len(words) and words[i + 1] == "yes" for i, w in enumerate(words)):
        problems.append("redis runs without `--appendonly yes`")
    test = command_list((redis.get("healthcheck") or {}).get("test", []))
    if "redis-cli" not in test or "ping" not in test:
        problems.append("redis health check is not `redis-cli ping`")
    mounts = [str(v).split(":") for v in redis.get("volumes", []) if isinstance(v, str)]
    if not any(len(m) >= 2 and m[1] == "/data" and m[0] in volumes for m in mounts):
        problems.append("redis /data is not on a named volume declared under `volumes`")
    return problems + worker_service_problems(worker, services, ("redis", "service_healthy")) + gateway_service_problems(worker, document)


def published_range(port):
    """(first, last, target) of a compose port "8080-8089:8080", else None."""
    match = re.fullmatch(r"(?:[\d.]+:)?(\d+)-(\d+):(\d+)(?:/tcp)?", str(port))
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def gateway_service_problems(worker, document):
    """The worker service's gateway: its address, its secret (a Compose secret from a file that
    git and the build context ignore), one host port per replica, and open files to spare."""
    problems = []
    environment = env_mapping(worker.get("environment"))
    host, port = port_of(environment.get("SWITCHBOARD_GATEWAY"))
    if host not in ("0.0.0.0", "[::]") or port != GATEWAY_PORT:
        problems.append(f"worker SWITCHBOARD_GATEWAY is {environment.get('SWITCHBOARD_GATEWAY')!r}, expected 0.0.0.0:{GATEWAY_PORT}")
    secret_file = str(environment.get("SWITCHBOARD_GATEWAY_SECRET_FILE", ""))
    name = secret_file[len("/run/secrets/"):] if secret_file.startswith("/run/secrets/") else None
    granted = [s if isinstance(s, str) else (s or {}).get("source") for s in worker.get("secrets") or []]
    if name is None or name not in granted:
        problems.append(f"worker SWITCHBOARD_GATEWAY_SECRET_FILE {secret_file!r} is not /run/secrets/<a secret the worker is given>")
    else:
        defined = ((document.get("secrets") or {}).get(name) or {}).get("file")
        if not defined:
            problems.append(f"secret {name} is not defined from a file under the top-level `secrets`")
        else:
            relative = os.path.normpath(defined)
            if not ignored(relative, dockerignore_patterns(read(".dockerignore"))):
                problems.append(f"the secret file {defined} is not excluded by .dockerignore: it would reach the image")
            if not any(line.strip().lstrip("/") == relative for line in read(".gitignore").splitlines()):
                problems.append(f"the secret file {defined} is not in .gitignore")
    replicas = (worker.get("deploy") or {}).get("replicas") or 1
    ranges = [r for r in map(published_range, worker.get("ports") or []) if r]
    if not any(target == GATEWAY_PORT and last - first + 1 >= replicas for first, last, target in ranges):
        problems.append(f"the gateway is not published as a host port range (one port per replica, at least {replicas}) to {GATEWAY_PORT}")
    nofile = (worker.get("ulimits") or {}).get("nofile")
    soft = nofile.get("soft") if isinstance(nofile, dict) else nofile
    if not isinstance(soft, int) or soft < OPEN_FILES:
        problems.append(f"worker ulimits.nofile is {nofile!r}: the gateway's 10000 connections need at least {OPEN_FILES} open files")
    return problems


def worker_service_problems(worker, services, waits_for):
    """The worker service of a compose file; `waits_for` is (service, depends_on condition)."""
    problems = []
    build = worker.get("build") or {}
    context = path(build.get("context", ".")) if isinstance(build, dict) else path(str(build))
    dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile")) if isinstance(build, dict) else os.path.join(context, "Dockerfile")
    if os.path.normpath(context) != os.path.normpath(REPO):
        problems.append("worker build context is not the repository root (Deploy/Dockerfile copies Package.swift, Sources, Tests)")
    if not os.path.isfile(dockerfile):
        problems.append(f"worker dockerfile {os.path.relpath(dockerfile, REPO)} does not exist")
    if command_list(worker.get("command", [])) != ["worker"]:
        problems.append(f"worker command is {worker.get('command')!r}, expected [\"worker\"]")
    if "worker" not in subcommands(CLI):
        problems.append("`worker` is not a subcommand of Sources/SwitchboardCLI")
    replicas = (worker.get("deploy") or {}).get("replicas")
    if replicas != 3:
        problems.append(f"worker deploy.replicas is {replicas!r}, expected 3")
    dependency, wanted = waits_for
    condition = ((worker.get("depends_on") or {}).get(dependency) or {}) if isinstance(worker.get("depends_on"), dict) else {}
    if condition.get("condition") != wanted:
        problems.append(f"worker does not wait for {dependency}: depends_on.{dependency}.condition != {wanted}")
    if "container_name" in worker:
        problems.append("worker has container_name, which allows a single replica only")
    for port in worker.get("ports", []) or []:
        fixed = (isinstance(port, dict) and port.get("published") or isinstance(port, str) and ":" in port) and not published_range(port)
        if fixed:
            problems.append(f"worker publishes fixed host port {port!r}: replicas cannot share it")
    if worker.get("restart") != "unless-stopped":
        problems.append(f"worker restart is {worker.get('restart')!r}, expected unless-stopped")
    if "stop_grace_period" not in worker or seconds(worker["stop_grace_period"]) < 10:
        problems.append("worker stop_grace_period missing or under 10s")
    environment = env_mapping(worker.get("environment"))
    problems += unknown_env(environment)
    host, port = port_of(environment.get("SWITCHBOARD_HTTP"))
    if host not in ("0.0.0.0", "[::]") or port != HTTP_PORT:
        problems.append(f"worker SWITCHBOARD_HTTP is {environment.get('SWITCHBOARD_HTTP')!r}, expected 0.0.0.0:{HTTP_PORT}")
    redis_url = str(environment.get("REDIS_URL", ""))
    match = re.match(r"redis://(?:[^@/]*@)?([^/]+)", redis_url)
    seeds = [seed.rsplit(":", 1)[0] for seed in match.group(1).split(",")] if match else []
    if not seeds or any(seed not in services for seed in seeds):
        problems.append(f"worker REDIS_URL {redis_url!r} does not name compose services only")
    health = " ".join(command_list((worker.get("healthcheck") or {}).get("test", [])))
    if not re.search(rf"curl .*:{HTTP_PORT}/(readyz|healthz)\b", health):
        problems.append(f"worker health check does not curl /readyz or /healthz on port {HTTP_PORT}")
    if image_base(worker.get("image", IMAGE_NAME)) != IMAGE_NAME:
        problems.append(f"worker image {worker.get('image')!r} is not named {IMAGE_NAME}")
    return problems


def check_compose_schema():
    return compose_schema_problems(path("docker-compose.yml"))


CLUSTER_COMPOSE = "docker-compose.cluster.yml"


def cluster_compose_problems(document):
    """docker-compose.cluster.yml: Redis Cluster nodes, the service that creates the cluster
    once, and the workers started after it with every node as a seed."""
    problems = []
    services = document.get("services") or {}
    volumes = document.get("volumes") or {}
    nodes = {name: service for name, service in services.items()
             if isinstance(service, dict) and "--cluster-enabled" in command_list(service.get("command", []))}
    data_volumes = []
    for name, node in sorted(nodes.items()):
        words = command_list(node.get("command", []))
        option = lambda flag: words[words.index(flag) + 1] if flag in words and words.index(flag) + 1 < len(words) else None
        if not str(node.get("image", "")).startswith("redis:7"):
            problems.append(f"{name}: image is {node.get('image')!r}, expected redis:7")
        if option("--cluster-enabled") != "yes":
            problems.append(f"{name}: --cluster-enabled is not yes")
        if option("--appendonly") != "yes":
            problems.append(f"{name}: runs without `--appendonly yes`")
        if not str(option("--cluster-config-file") or "").startswith("/data/"):
            problems.append(f"{name}: --cluster-config-file is not on /data (a restarted node would forget the cluster)")
        test = command_list((node.get("healthcheck") or {}).get("test", []))
        if "redis-cli" not in test or "ping" not in test:
            problems.append(f"{name}: health check is not `redis-cli ping`")
        mounts = [str(v).split(":") for v in node.get("volumes", []) if isinstance(v, str)]
        mine = [m[0] for m in mounts if len(m) >= 2 and m[1] == "/data" and m[0] in volumes]
        if not mine:
            problems.append(f"{name}: /data is not on a named volume declared under `volumes`")
        data_volumes += mine
    if len(set(data_volumes)) != len(data_volumes):
        problems.append("two cluster nodes share a data volume")
    creators = {name: service for name, service in services.items()
                if isinstance(service, dict) and "--cluster create" in " ".join(command_list(service.get("command", [])))}
    if len(creators) != 1:
        return problems + [f"{len(creators)} services run `redis-cli --cluster create`; expected one"]
    creator_name, creator = next(iter(creators.items()))
    script = " ".join(command_list(creator.get("command", [])))
    replicas = re.search(r"--cluster-replicas\s+(\d+)", script)
    replicas = int(replicas.group(1)) if replicas else 0
    primaries = len(nodes) // (replicas + 1)
    if primaries < 3 or len(nodes) % (replicas + 1):
        problems.append(f"{len(nodes)} nodes with {replicas} replica(s) each: Redis Cluster needs at least 3 primaries")
    for name in sorted(nodes):
        if not re.search(rf"(^|[\s/]){re.escape(name)}(\s|:|;|$)", script):
            problems.append(f"{creator_name} does not add {name} to the cluster")
        if ((creator.get("depends_on") or {}).get(name) or {}).get("condition") != "service_healthy":
            problems.append(f"{creator_name} does not wait for {name}: depends_on.{name}.condition != service_healthy")
    if creator.get("restart", "no") != "no":
        problems.append(f"{creator_name} restart is {creator.get('restart')!r}: it runs once")
    worker = services.get(WORKER_SERVICE)
    if not isinstance(worker, dict):
        return problems + [f"no `{WORKER_SERVICE}` service"]
    problems += worker_service_problems(worker, services, (creator_name, "service_completed_successfully"))
    problems += gateway_service_problems(worker, document)
    environment = env_mapping(worker.get("environment"))
    for seed in re.sub(r"^redis://(?:[^@/]*@)?", "", str(environment.get("REDIS_URL", ""))).split("/")[0].split(","):
        if seed.rsplit(":", 1)[0] not in nodes:
            problems.append(f"worker REDIS_URL seed {seed!r} is not a cluster node")
    shards = str(environment.get("SWITCHBOARD_INTAKE_SHARDS", ""))
    if not shards.isdigit() or primaries < 1 or int(shards) % primaries:
        problems.append(f"SWITCHBOARD_INTAKE_SHARDS {shards!r} is not a multiple of the {primaries} primaries (the intake shards could not be spread evenly)")
    return problems


def check_cluster_compose_schema():
    return compose_schema_problems(path(CLUSTER_COMPOSE))


def check_cluster_compose_structure():
    return cluster_compose_problems(yaml.safe_load(read(CLUSTER_COMPOSE)))


TLS_COMPOSE = "docker-compose.tls.yml"
TLS_OVERLAY = os.path.join("Deploy", "kubernetes", "tls")


def check_tls_compose_schema():
    return compose_schema_problems(path(TLS_COMPOSE))


def tls_compose_problems(document, base):
    """docker-compose.tls.yml on top of docker-compose.yml: Redis on TLS only, and workers on
    rediss:// whose every REDIS_TLS_* file is a secret the worker mounts and the file declares."""
    problems = []
    services, secrets = document.get("services") or {}, document.get("secrets") or {}
    redis, worker = services.get("redis") or {}, services.get(WORKER_SERVICE) or {}
    words = command_list(redis.get("command", []))
    for option, value in (("--port", "0"), ("--appendonly", "yes")):
        if not any(w == option and i + 1 < len(words) and words[i + 1] == value for i, w in enumerate(words)):
            problems.append(f"redis command lacks `{option} {value}`")
    tls_port = next((words[i + 1] for i, w in enumerate(words) if w == "--tls-port" and i + 1 < len(words)), None)
    if tls_port is None:
        problems.append("redis command has no --tls-port")
    test = command_list((redis.get("healthcheck") or {}).get("test", []))
    if "--tls" not in test or "ping" not in test:
        problems.append("redis health check does not ping over TLS")
    environment = env_mapping(worker.get("environment", {}))
    url = str(environment.get("REDIS_URL", ""))
    if not url.startswith("rediss://") or (tls_port and not url.endswith(f":{tls_port}")):
        problems.append(f"worker REDIS_URL {url!r} is not rediss:// to redis's --tls-port {tls_port}")
    mounted = {str(s) if not isinstance(s, dict) else str(s.get("source")) for s in worker.get("secrets", [])}
    for variable in sorted(TLS_ENV):
        value = str(environment.get(variable, ""))
        name = value.removeprefix("/run/secrets/")
        if not value.startswith("/run/secrets/") or name not in mounted or name not in secrets:
            problems.append(f"worker {variable} {value!r} is not a secret the worker mounts and the file declares")
    for option in ("--tls-cert-file", "--tls-key-file", "--tls-ca-cert-file"):
        value = next((words[i + 1] for i, w in enumerate(words) if w == option and i + 1 < len(words)), "")
        if value.removeprefix("/run/secrets/") not in secrets:
            problems.append(f"redis {option} {value!r} is not a declared secret")
    if "gateway-secret" not in mounted:
        problems.append("the override's worker secrets drop gateway-secret")
    if set(services) - set((base.get("services") or {})):
        problems.append("the override adds services the base file does not have")
    return problems + unknown_env(environment)


def check_tls_compose_structure():
    return tls_compose_problems(yaml.safe_load(read(TLS_COMPOSE)), yaml.safe_load(read("docker-compose.yml")))


def tls_overlay_problems(folder):
    """Deploy/kubernetes/tls: the base plus a Secret mounted read-only whose keys are the
    files REDIS_TLS_* name, and a rediss:// REDIS_URL."""
    manifests, kustomization = load_kubernetes(folder)
    problems = []
    kustomization = kustomization or {}
    if "../" not in (kustomization.get("resources") or []) and ".." not in (kustomization.get("resources") or []):
        problems.append("the overlay does not build on the base (resources: ../)")
    listed = set(kustomization.get("resources") or []) | {p.get("path") for p in kustomization.get("patches") or [] if isinstance(p, dict)}
    for file in manifests:
        if file not in listed:
            problems.append(f"kustomization.yaml does not list {file}")
    objects = objects_of(manifests)
    secret = objects.get(("Secret", "switchboard-redis-tls"))
    if not secret:
        return problems + ["no Secret switchboard-redis-tls"]
    keys = set((secret.get("stringData") or {}) | (secret.get("data") or {}))
    deployment = objects.get(("Deployment", "switchboard-worker")) or {}
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    volume = next((v for v in pod.get("volumes") or [] if (v.get("secret") or {}).get("secretName") == "switchboard-redis-tls"), None)
    container = next((c for c in pod.get("containers") or [] if c.get("name") == "worker"), {})
    mount = next((m for m in container.get("volumeMounts") or [] if volume and m.get("name") == volume.get("name")), None)
    if not volume or not mount or not mount.get("readOnly"):
        return problems + ["the Secret switchboard-redis-tls is not mounted read-only into the worker"]
    environment = {e.get("name"): e.get("value") for e in container.get("env") or []}
    for variable in sorted(TLS_ENV):
        value = str(environment.get(variable, ""))
        if os.path.dirname(value) != mount.get("mountPath") or os.path.basename(value) not in keys:
            problems.append(f"{variable} {value!r} is not a key of the Secret under {mount.get('mountPath')}")
    config = objects.get(("ConfigMap", "switchboard-config")) or {}
    if not str((config.get("data") or {}).get("REDIS_URL", "")).startswith("rediss://"):
        problems.append("the overlay's REDIS_URL is not rediss://")
    return problems


def check_tls_overlay():
    return tls_overlay_problems(path(TLS_OVERLAY))


def check_compose_structure():
    return compose_problems(yaml.safe_load(read("docker-compose.yml")))


# ---- .dockerignore and Deploy/Dockerfile -------------------------------------------------

def check_dockerignore():
    patterns = dockerignore_patterns(read(".dockerignore"))
    problems = []
    for junk in (".build", ".build-linux", ".git", ".switchboard", ".swiftpm"):
        if not ignored(junk, patterns):
            problems.append(f"{junk} is not excluded from the build context")
    return problems


def dockerfile_problems(text):
    """{check name: [problems]} for a Dockerfile text; used on the real file and on broken copies."""
    instructions = parse_dockerfile(text)
    stages = dockerfile_stages(instructions)
    found = {"base images": [], "build context": [], "swift build": [], "apt packages": [], "runtime": []}
    if len(stages) < 2:
        found["base images"].append(f"{len(stages)} stage(s); expected a build and a runtime stage")
        return found
    build, runtime = stages[0], stages[-1]
    # Base images: the official Swift image on Debian 12, Debian 12 slim to run.
    if build["image"] != BUILD_IMAGE:
        found["base images"].append(f"build stage is FROM {build['image']}, expected {BUILD_IMAGE}")
    if runtime["image"] != RUNTIME_IMAGE:
        found["base images"].append(f"runtime stage is FROM {runtime['image']}, expected {RUNTIME_IMAGE}")
    releases = {re.search(r"(bookworm|bullseye|trixie|jammy|noble|focal)", s["image"]).group(1)
                if re.search(r"(bookworm|bullseye|trixie|jammy|noble|focal)", s["image"]) else s["image"] for s in (build, runtime)}
    if len(releases) != 1:
        found["base images"].append(f"build and runtime stages are on different distributions ({', '.join(sorted(releases))}): the hiredis ABI may differ")

    # Build context: every COPY source exists, is inside the context and not ignored;
    # every folder Package.swift declares reaches the build stage.
    patterns = dockerignore_patterns(read(".dockerignore")) if os.path.exists(path(".dockerignore")) else []
    stage_names = [s["name"] for s in stages]
    copied = []
    for index, stage in enumerate(stages):
        for line, instruction, arguments in stage["instructions"]:
            if instruction not in ("COPY", "ADD"):
                continue
            flags, sources, _ = copy_parts(arguments)
            if "from" in flags:
                if flags["from"] not in stage_names[:index]:
                    found["build context"].append(f"line {line}: COPY --from={flags['from']} names no earlier stage")
                continue
            for source in sources:
                relative = os.path.normpath(source)
                if relative.startswith(".."):
                    found["build context"].append(f"line {line}: {source} is outside the build context")
                elif not glob.glob(path(relative)):
                    found["build context"].append(f"line {line}: COPY source {source} does not exist in the repository")
                elif ignored(relative, patterns):
                    found["build context"].append(f"line {line}: COPY source {source} is excluded by .dockerignore")
                else:
                    if index == 0:
                        copied.append(relative)
                    for root, _, files in os.walk(path(relative)):
                        for file in files:
                            inner = os.path.relpath(os.path.join(root, file), REPO)
                            if inner.endswith((".swift", ".h", ".c", ".modulemap")) and ignored(inner, patterns):
                                found["build context"].append(f".dockerignore excludes {inner}, which the build needs")
    covered = lambda p: any(p == c or p.startswith(c.rstrip("/") + "/") or c == "." for c in copied)
    if not covered("Package.swift"):
        found["build context"].append("Package.swift is not copied into the build stage")
    for target, folder in sorted(FACTS["targets"].items()):
        if not covered(os.path.normpath(folder)):
            found["build context"].append(f"target {target}'s folder {folder} is not copied; SwiftPM will refuse to load the package")

    # The build command and the binary the image runs.
    runs = " ".join(arguments for _, instruction, arguments in build["instructions"] if instruction == "RUN")
    product = re.search(r"--product\s+(\S+)", runs)
    for flag in ("swift build", "-c release", "--static-swift-stdlib"):
        if flag not in runs:
            found["swift build"].append(f"the build stage does not run `{flag}`")
    if not product or product.group(1) not in FACTS["executables"]:
        found["swift build"].append(f"--product {product.group(1) if product else '(none)'} is not an executable product of Package.swift ({', '.join(sorted(FACTS['executables']))})")
    entrypoint = [a for _, i, a in runtime["instructions"] if i == "ENTRYPOINT"]
    entry = exec_form(entrypoint[-1]) if entrypoint else None
    if not entry or os.path.basename(entry[0]) not in FACTS["executables"] or (product and os.path.basename(entry[0]) != product.group(1)):
        found["swift build"].append(f"ENTRYPOINT {entrypoint[-1] if entrypoint else '(none)'} is not the built product in exec form")
    cmd = [a for _, i, a in runtime["instructions"] if i == "CMD"]
    cmd_words = exec_form(cmd[-1]) if cmd else None
    if cmd_words != ["worker"]:
        found["swift build"].append(f"CMD is {cmd[-1] if cmd else '(none)'}, expected [\"worker\"] in exec form")
    elif cmd_words[0] not in subcommands(CLI):
        found["swift build"].append(f"CMD {cmd_words[0]} is not a subcommand of Sources/SwitchboardCLI")

    # apt packages: exactly the expected Debian names, no recommends, lists removed.
    for stage, expected in ((build, APT_BUILD), (runtime, APT_RUNTIME)):
        installed = set()
        for line, instruction, arguments in stage["instructions"]:
            if instruction != "RUN" or "install" not in arguments:
                continue
            packages, quiet = apt_packages(arguments)
            installed |= set(packages)
            if packages and not quiet:
                found["apt packages"].append(f"line {line}: apt-get install without --no-install-recommends")
            if packages and ("apt-get update" not in arguments or "rm -rf /var/lib/apt/lists" not in arguments):
                found["apt packages"].append(f"line {line}: apt-get install without update and list cleanup in the same RUN")
        if installed != expected:
            found["apt packages"].append(f"stage FROM {stage['image']} installs {sorted(installed)}, expected {sorted(expected)}")
        for name in installed:
            if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", name):
                found["apt packages"].append(f"{name!r} is not a Debian package name")
    if FACTS["apt"] and not FACTS["apt"] <= APT_BUILD:
        found["apt packages"].append(f"Package.swift's apt providers {sorted(FACTS['apt'])} are not installed in the build stage")

    # Runtime: non-root numeric user, HTTP endpoint, health check, stop signal.
    values = lambda name: [a for _, i, a in runtime["instructions"] if i == name]
    user = values("USER")[-1] if values("USER") else None
    uid = user.split(":")[0] if user else None
    if not user or uid in ("root", "0"):
        found["runtime"].append(f"runtime USER is {user or '(none)'}: the image would run as root")
    elif not uid.isdigit():
        found["runtime"].append(f"USER {user} is a name; Kubernetes' runAsNonRoot needs a numeric uid")
    else:
        created = re.search(r"useradd\b[^&;]*--uid\s+(\d+)", " ".join(values("RUN")))
        if not created or created.group(1) != uid:
            found["runtime"].append(f"USER {uid} is not the uid the image creates with useradd")
    environment = {}
    for arguments in values("ENV"):
        environment.update(env_instruction(arguments))
    found["runtime"] += unknown_env(environment, RUNTIME_ENV)
    host, port = port_of(environment.get("SWITCHBOARD_HTTP"))
    if host not in ("0.0.0.0", "[::]") or port != HTTP_PORT:
        found["runtime"].append(f"ENV SWITCHBOARD_HTTP is {environment.get('SWITCHBOARD_HTTP')!r}, expected 0.0.0.0:{HTTP_PORT}")
    for port in (HTTP_PORT, GATEWAY_PORT):
        if str(port) not in " ".join(values("EXPOSE")).split():
            found["runtime"].append(f"EXPOSE {port} missing")
    health = " ".join(values("HEALTHCHECK"))
    if not re.search(rf"\bCMD\b.*curl.*:{HTTP_PORT}/(readyz|healthz)\b", health):
        found["runtime"].append(f"HEALTHCHECK does not curl /readyz or /healthz on port {HTTP_PORT}")
    if values("STOPSIGNAL")[-1:] != ["SIGTERM"]:
        found["runtime"].append("STOPSIGNAL is not SIGTERM")
    return found


def check_dockerfile(part):
    return lambda: dockerfile_problems(read("Deploy/Dockerfile"))[part]


# ---- Deploy/kubernetes -----------------------------------------------------------------

DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


def load_kubernetes(folder):
    """({file: [documents]}, kustomization or None)."""
    manifests, kustomization = {}, None
    for file in sorted(glob.glob(os.path.join(folder, "*.y*ml"))):
        with open(file, encoding="utf-8") as handle:
            documents = [d for d in yaml.safe_load_all(handle) if d is not None]
        if os.path.basename(file) in ("kustomization.yaml", "kustomization.yml"):
            kustomization = documents[0] if documents else {}
        else:
            manifests[os.path.basename(file)] = documents
    return manifests, kustomization


def objects_of(manifests):
    return {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for documents in manifests.values() for d in documents if isinstance(d, dict)}


def kubernetes_manifest_problems(manifests):
    problems, seen = [], set()
    if not manifests:
        return ["no manifests"]
    for file, documents in manifests.items():
        if not documents:
            problems.append(f"{file}: no document")
        for document in documents:
            if not isinstance(document, dict):
                problems.append(f"{file}: a document is not a mapping")
                continue
            name = (document.get("metadata") or {}).get("name")
            missing = [k for k, v in (("apiVersion", document.get("apiVersion")), ("kind", document.get("kind")), ("metadata.name", name)) if not v]
            if missing:
                problems.append(f"{file}: missing {', '.join(missing)}")
            elif not DNS1123.match(name) or len(name) > 253:
                problems.append(f"{file}: {name!r} is not a valid object name")
            if (document.get("kind"), name) in seen:
                problems.append(f"{file}: {document.get('kind')} {name} defined twice")
            seen.add((document.get("kind"), name))
    return problems


def kustomization_problems(manifests, kustomization, folder):
    if kustomization is None:
        return ["no kustomization.yaml"]
    problems = []
    if kustomization.get("kind") != "Kustomization" or not str(kustomization.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
        problems.append("kustomization.yaml is not a kustomize.config.k8s.io Kustomization")
    resources = kustomization.get("resources") or []
    for resource in resources:
        if not os.path.isfile(os.path.join(folder, resource)):
            problems.append(f"resource {resource} does not exist")
    for file in manifests:
        if file not in resources:
            problems.append(f"{file} is not listed in kustomization.yaml")
    namespaces = [name for (kind, name) in objects_of(manifests) if kind == "Namespace"]
    if namespaces and kustomization.get("namespace") not in namespaces:
        problems.append(f"kustomization namespace {kustomization.get('namespace')!r} is not the Namespace defined here ({', '.join(namespaces)})")
    names = {image.get("name") for image in kustomization.get("images") or []}
    for (kind, name), document in objects_of(manifests).items():
        if kind == "Deployment":
            for container in document["spec"]["template"]["spec"].get("containers", []):
                if names and container.get("image") not in names:
                    problems.append(f"container {container.get('name')} image {container.get('image')!r} is not rewritten by kustomization images ({', '.join(sorted(names))})")
    for name in names:
        if image_base(name) != IMAGE_NAME:
            problems.append(f"kustomization image {name!r} is not named {IMAGE_NAME}")
    return problems


def deployment_problems(manifests, dockerfile_uid):
    objects = objects_of(manifests)
    deployments = [d for (kind, _), d in objects.items() if kind == "Deployment"]
    if len(deployments) != 1:
        return [f"{len(deployments)} Deployments; expected one"]
    deployment, problems = deployments[0], []
    spec = deployment.get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if spec.get("replicas") != 3:
        problems.append(f"replicas is {spec.get('replicas')!r}, expected 3")
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append("selector.matchLabels does not match the pod template's labels")
    containers = [c for c in pod.get("containers", []) if "worker" in (c.get("args") or []) + (c.get("command") or [])]
    if len(containers) != 1:
        return problems + ["no single container running `worker`"]
    container = containers[0]
    if (container.get("args") or []) != ["worker"] or container.get("command"):
        problems.append(f"container runs {container.get('command')} {container.get('args')}, expected args [\"worker\"] and the image's ENTRYPOINT")
    if image_base(container.get("image", "")) != IMAGE_NAME:
        problems.append(f"container image {container.get('image')!r} is not named {IMAGE_NAME}")
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    if ports.get("http") != HTTP_PORT:
        problems.append(f"no container port {HTTP_PORT} named http")
    if ports.get("gateway") != GATEWAY_PORT:
        problems.append(f"no container port {GATEWAY_PORT} named gateway")
    for probe, route in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = (container.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != route:
            problems.append(f"{probe} is not httpGet {route}")
        if get.get("port") not in ports and get.get("port") not in ports.values():
            problems.append(f"{probe} port {get.get('port')!r} is not a container port")
        elif get.get("port") not in ("http", HTTP_PORT):
            problems.append(f"{probe} probes port {get.get('port')!r}, not the HTTP endpoint")
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(kind) or {}):
                problems.append(f"resources.{kind}.{resource} missing")
    memory = (resources.get("limits") or {}).get("memory")
    if memory and quantity(memory) < 64 * 2**20:
        problems.append(f"memory limit {memory} leaves no headroom over a worker's ~25 MB")
    pod_security, security = pod.get("securityContext") or {}, container.get("securityContext") or {}
    effective = lambda key: security.get(key, pod_security.get(key))
    if effective("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if str(effective("runAsUser")) != str(dockerfile_uid):
        problems.append(f"runAsUser {effective('runAsUser')!r} is not the Dockerfile's uid {dockerfile_uid}")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    grace = pod.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < 10:
        problems.append(f"terminationGracePeriodSeconds is {grace!r}; the worker needs a few seconds to stop")
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    expected = {"prometheus.io/scrape": "true", "prometheus.io/port": str(HTTP_PORT), "prometheus.io/path": "/metrics"}
    for key, value in expected.items():
        if annotations.get(key) != value:
            problems.append(f"pod annotation {key} is {annotations.get(key)!r}, expected {value!r}")
    return problems


def reference_problems(manifests):
    """envFrom/env/volume references resolve to objects in the folder; env names are the worker's."""
    objects, problems = objects_of(manifests), []
    deployment = next((d for (kind, _), d in objects.items() if kind == "Deployment"), None)
    if deployment is None:
        return ["no Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}

    def keys_of(kind, name):
        document = objects.get((kind, name))
        if document is None:
            return None
        return set((document.get("data") or {})) | set((document.get("stringData") or {}))

    for container in pod.get("containers", []):
        names = set()
        for source in container.get("envFrom") or []:
            for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if field in source:
                    name = source[field].get("name")
                    keys = keys_of(kind, name)
                    if keys is None:
                        problems.append(f"envFrom {kind} {name!r} is not defined here")
                    else:
                        names |= keys
        env = {}
        for variable in container.get("env") or []:
            env[variable.get("name")] = variable
            names.add(variable.get("name"))
            for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                ref = (variable.get("valueFrom") or {}).get(field)
                if ref and ref.get("key") not in (keys_of(kind, ref.get("name")) or set()):
                    problems.append(f"env {variable.get('name')}: {kind} {ref.get('name')!r} key {ref.get('key')!r} is not defined here")
        problems += unknown_env(names)
        worker_name = ((env.get("SWITCHBOARD_WORKER_NAME") or {}).get("valueFrom") or {}).get("fieldRef") or {}
        if worker_name.get("fieldPath") != "metadata.name":
            problems.append("SWITCHBOARD_WORKER_NAME does not come from the pod name (downward API)")
        mounted = set()
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount.get("name"))
            if volume is None:
                problems.append(f"volumeMount {mount.get('name')!r} names no volume")
                continue
            if "secret" in volume:
                secret = volume["secret"].get("secretName")
                keys = keys_of("Secret", secret)
                if keys is None:
                    problems.append(f"volume {mount.get('name')}: Secret {secret!r} is not defined here")
                    continue
                items = volume["secret"].get("items") or [{"key": k, "path": k} for k in keys]
                for item in items:
                    if item.get("key") not in keys:
                        problems.append(f"volume {mount.get('name')}: Secret {secret} has no key {item.get('key')!r}")
                    mounted.add(mount.get("mountPath", "").rstrip("/") + "/" + item.get("path", ""))
        for variable in ("REDIS_PASSWORD_FILE", "SWITCHBOARD_GATEWAY_SECRET_FILE"):
            value = (env.get(variable) or {}).get("value")
            if value not in mounted:
                problems.append(f"{variable} {value!r} is not a mounted secret file ({', '.join(sorted(mounted)) or 'none'})")
    for (kind, name), document in objects.items():
        if kind == "ConfigMap":
            data = document.get("data") or {}
            for key, value in data.items():
                if not isinstance(value, str):
                    problems.append(f"ConfigMap {name}: {key} is {type(value).__name__}, Kubernetes needs a string")
            for variable, expected in (("SWITCHBOARD_HTTP", HTTP_PORT), ("SWITCHBOARD_GATEWAY", GATEWAY_PORT)):
                host, port = port_of(data.get(variable))
                if variable in data and (host not in ("0.0.0.0", "[::]") or port != expected):
                    problems.append(f"ConfigMap {name}: {variable} {data[variable]!r} is not 0.0.0.0:{expected}")
    return problems


def gateway_kubernetes_problems(manifests):
    """The Service in front of the gateways selects the worker pods and targets their gateway
    port; the example gateway Secret is too short to be used by mistake."""
    objects, problems = objects_of(manifests), []
    deployment = next((d for (kind, _), d in objects.items() if kind == "Deployment"), None)
    services = [d for (kind, _), d in objects.items() if kind == "Service"]
    if deployment is None or len(services) != 1:
        return [f"{len(services)} Services and {'no' if deployment is None else 'a'} Deployment; expected one of each"]
    template = deployment["spec"]["template"]
    labels = (template.get("metadata") or {}).get("labels") or {}
    ports = {p.get("name"): p.get("containerPort") for c in template["spec"].get("containers", []) for p in c.get("ports") or []}
    spec = services[0].get("spec") or {}
    selector = spec.get("selector") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"Service selector {selector} does not select the worker pods ({labels})")
    targets = [p.get("targetPort") for p in spec.get("ports") or []]
    if not any(t == "gateway" and ports.get("gateway") == GATEWAY_PORT or t == GATEWAY_PORT for t in targets):
        problems.append(f"Service targets {targets}, not the gateway's container port ({GATEWAY_PORT}, named gateway)")
    if spec.get("sessionAffinity", "None") != "None":
        problems.append("Service has session affinity; any worker serves any workspace")
    secret_file = next((e.get("value") for c in template["spec"].get("containers", []) for e in c.get("env") or []
                        if e.get("name") == "SWITCHBOARD_GATEWAY_SECRET_FILE"), None)
    volume = next((v for v in template["spec"].get("volumes") or [] if "secret" in v
                   and any(m.get("name") == v.get("name") and secret_file and secret_file.startswith(m.get("mountPath", "") + "/")
                           for c in template["spec"].get("containers", []) for m in c.get("volumeMounts") or [])), None)
    secret = objects.get(("Secret", (volume or {}).get("secret", {}).get("secretName")))
    if secret is None:
        problems.append("no Secret defined here holds the gateway's key")
    else:
        for key, value in {**(secret.get("stringData") or {})}.items():
            if len(str(value).encode()) >= SECRET_MINIMUM:
                problems.append(f"the example Secret's {key} is {len(str(value).encode())} bytes, a usable key: keep the placeholder under {SECRET_MINIMUM} so it is never used")
    return problems


def dockerfile_uid():
    users = [a for _, i, a in parse_dockerfile(read("Deploy/Dockerfile")) if i == "USER"]
    return users[-1].split(":")[0] if users else None


def check_kubernetes(kind):
    folder = path("Deploy", "kubernetes")

    def run():
        manifests, kustomization = load_kubernetes(folder)
        if kind == "manifests":
            return kubernetes_manifest_problems(manifests)
        if kind == "kustomization":
            return kustomization_problems(manifests, kustomization, folder)
        if kind == "deployment":
            return deployment_problems(manifests, dockerfile_uid())
        if kind == "gateway":
            return gateway_kubernetes_problems(manifests)
        return reference_problems(manifests)
    return run


# ---- Deploy/systemd --------------------------------------------------------------------

UNIT = "Deploy/systemd/switchboard-worker@.service"
ENV_EXAMPLE = "Deploy/systemd/switchboard.env.example"
EXEC_PREFIXES = "@-:+!|"


def unit_problems(sections):
    problems = []
    for section in ("Unit", "Service", "Install"):
        if section not in sections:
            problems.append(f"no [{section}] section")
    extra = set(sections) - {"Unit", "Service", "Install"}
    if extra:
        problems.append(f"unexpected section(s) {', '.join(sorted(extra))}")
    service = dict(sections.get("Service", []))
    starts = unit_values(sections, "Service", "ExecStart")
    if len(starts) != 1:
        problems.append(f"{len(starts)} ExecStart= lines; expected one")
    else:
        words = shlex.split(starts[0].lstrip(EXEC_PREFIXES))
        if not words or not os.path.isabs(words[0]):
            problems.append(f"ExecStart binary {words[0] if words else ''!r} is not an absolute path")
        binary = re.search(r"(\S*switchboard)\s+worker\b", starts[0])
        if not binary or not os.path.isabs(binary.group(1).strip("'\"")):
            problems.append("ExecStart does not run `switchboard worker` by absolute path")
        if "$" in starts[0].replace("$$", ""):
            problems.append("ExecStart has a single $, which systemd expands itself; write $$ for the shell")
        if "\\" in starts[0]:
            problems.append("ExecStart has backslash escapes, which systemd and sh read differently")
    required = {"Restart": "on-failure", "KillSignal": "SIGTERM", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                "PrivateTmp": "yes"}
    for key, value in required.items():
        if service.get(key) != value:
            problems.append(f"{key}={service.get(key, '')} (expected {value})")
    if service.get("ProtectHome") not in ("yes", "read-only", "tmpfs"):
        problems.append("ProtectHome is not set")
    if "TimeoutStopSec" not in service or seconds(service["TimeoutStopSec"]) < 10:
        problems.append("TimeoutStopSec missing or under 10s")
    if service.get("DynamicUser") != "yes" and service.get("User", "root") in ("root", "0"):
        problems.append("neither DynamicUser=yes nor a non-root User=")
    if "-/etc/switchboard/switchboard.env" not in unit_values(sections, "Service", "EnvironmentFile"):
        problems.append("EnvironmentFile=-/etc/switchboard/switchboard.env missing")
    environment = {}
    for line in unit_values(sections, "Service", "Environment"):
        for word in shlex.split(line):
            key, _, value = word.partition("=")
            environment[key] = value
    problems += unknown_env(environment)
    if "%i" not in environment.get("SWITCHBOARD_WORKER_NAME", "") and "%I" not in environment.get("SWITCHBOARD_WORKER_NAME", ""):
        problems.append("SWITCHBOARD_WORKER_NAME does not include the instance (%i)")
    credentials = [c.split(":", 1) for c in unit_values(sections, "Service", "LoadCredential")]
    credential = next((c for c in credentials if c[0] == "redis-password"), None)
    if not credential or len(credential) < 2 or not os.path.isabs(credential[1]):
        problems.append("LoadCredential=redis-password:/absolute/path missing")
    if environment.get("REDIS_PASSWORD_FILE") != "%d/redis-password":
        problems.append("REDIS_PASSWORD_FILE is not %d/redis-password (the credential)")
    if environment.get("SWITCHBOARD_GATEWAY_SECRET_FILE") != "%d/gateway-secret":
        problems.append("SWITCHBOARD_GATEWAY_SECRET_FILE is not %d/gateway-secret (a credential)")
    if not any(c[0] == "gateway-secret" and len(c) == 2 and os.path.isabs(c[1]) for c in credentials):
        problems.append("LoadCredential=gateway-secret:/absolute/path missing")
    defaults = {c.split(":", 1)[0] for c in unit_values(sections, "Service", "SetCredential")}
    for variable, name in (("REDIS_TLS_CA_FILE", "redis-tls-ca"), ("REDIS_TLS_CERT_FILE", "redis-tls-cert"), ("REDIS_TLS_KEY_FILE", "redis-tls-key")):
        if environment.get(variable) != f"%d/{name}":
            problems.append(f"{variable} is not %d/{name} (a credential)")
        if not any(c[0] == name and len(c) == 2 and os.path.isabs(c[1]) for c in credentials) or name not in defaults:
            problems.append(f"LoadCredential={name}:/absolute/path with a SetCredential={name} default missing")
        if f'unset {variable}' not in "".join(unit_values(sections, "Service", "ExecStart")):
            problems.append(f"the start command does not drop {variable} when its file is absent (a plain redis:// URL refuses TLS options)")
    limit = service.get("LimitNOFILE", "")
    if not limit.split(":")[0].isdigit() or int(limit.split(":")[0]) < OPEN_FILES:
        problems.append(f"LimitNOFILE={limit} (the gateway's connections need at least {OPEN_FILES} open files)")
    if not unit_values(sections, "Install", "WantedBy"):
        problems.append("[Install] has no WantedBy=")
    return problems


def expand(text, instance, host, credentials):
    """systemd's specifiers used here, then $$ -> $ as systemd does at exec time."""
    def specifier(match):
        code = match.group(1)
        table = {"i": instance, "I": instance, "H": host, "d": credentials, "%": "%"}
        if code not in table:
            raise ValueError(f"specifier %{code} not simulated")
        return table[code]
    return re.sub(r"%(.)", specifier, text).replace("$$", "$")


def simulate_instances(sections, shared_env):
    """Starts each instance's ExecStart with a stub in place of switchboard; returns problems."""
    problems = []
    start = unit_values(sections, "Service", "ExecStart")
    if len(start) != 1:
        return ["no single ExecStart to simulate"]
    binary = re.search(r"(/\S*switchboard)\s+worker\b", start[0])
    if not binary:
        return ["ExecStart does not run /…/switchboard worker"]
    with tempfile.TemporaryDirectory() as scratch:
        stub = os.path.join(scratch, "switchboard")
        with open(stub, "w") as handle:
            handle.write("#!/bin/sh\necho \"ARGS=$*\"\nenv\n")
        os.chmod(stub, 0o755)

        def run(instance, credential="\n", own_env=None, gateway_credential="\n"):
            credentials = os.path.join(scratch, f"credentials-{instance}")
            os.makedirs(credentials, exist_ok=True)
            with open(os.path.join(credentials, "redis-password"), "w") as handle:
                handle.write(credential)
            with open(os.path.join(credentials, "gateway-secret"), "w") as handle:
                handle.write(gateway_credential)
            for tls_credential in ("redis-tls-ca", "redis-tls-cert", "redis-tls-key"):
                with open(os.path.join(credentials, tls_credential), "w") as handle:
                    handle.write("\n")  # SetCredential='s default: no TLS files on this host
            env = {"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": credentials}
            for line in unit_values(sections, "Service", "Environment"):
                for word in shlex.split(expand(line, instance, "host1", credentials)):
                    key, _, value = word.partition("=")
                    env[key] = value
            env.update(shared_env)       # EnvironmentFile= values override Environment=
            env.update(own_env or {})
            argv = [w.replace(binary.group(1), stub) for w in shlex.split(expand(start[0].lstrip(EXEC_PREFIXES), instance, "host1", credentials))]
            result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=20)
            seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
            return result.returncode, seen, result.stderr.strip()

        ports = {}
        for instance in ("1", "2", "3", "9", "10", "12"):
            status, seen, error = run(instance)
            host, port = port_of(seen.get("SWITCHBOARD_HTTP"))
            if status != 0 or seen.get("ARGS") != "worker":
                problems.append(f"instance {instance}: exit {status}, args {seen.get('ARGS')!r} {error}")
                continue
            if host != "127.0.0.1" or port is None or not 1024 < port < 65536:
                problems.append(f"instance {instance}: SWITCHBOARD_HTTP {seen.get('SWITCHBOARD_HTTP')!r} is not a loopback port")
            elif port in ports.values():
                problems.append(f"instance {instance}: port {port} already taken by another instance")
            ports[instance] = port
            if seen.get("SWITCHBOARD_WORKER_NAME") != f"host1-{instance}":
                problems.append(f"instance {instance}: worker name {seen.get('SWITCHBOARD_WORKER_NAME')!r}, expected host1-{instance}")
            if "REDIS_PASSWORD_FILE" in seen:
                problems.append(f"instance {instance}: an empty credential still sets REDIS_PASSWORD_FILE (AUTH with an empty password)")
            if "SWITCHBOARD_GATEWAY_SECRET_FILE" in seen:
                problems.append(f"instance {instance}: an empty gateway credential still sets SWITCHBOARD_GATEWAY_SECRET_FILE (an empty key)")
        if ports.get("1") != HTTP_PORT:
            problems.append(f"instance 1 listens on {ports.get('1')}, expected {HTTP_PORT}")
        status, seen, _ = run("4", credential="s3cret\n")
        if status != 0 or not seen.get("REDIS_PASSWORD_FILE", "").endswith("/redis-password"):
            problems.append("a non-empty credential does not reach the worker as REDIS_PASSWORD_FILE")
        status, seen, _ = run("5", gateway_credential="0123456789abcdef" * 4 + "\n")
        if status != 0 or not seen.get("SWITCHBOARD_GATEWAY_SECRET_FILE", "").endswith("/gateway-secret"):
            problems.append("a non-empty gateway credential does not reach the worker as SWITCHBOARD_GATEWAY_SECRET_FILE")
        status, seen, _ = run("eu", own_env={"SWITCHBOARD_HTTP": "127.0.0.1:9500"})
        if status != 0 or seen.get("SWITCHBOARD_HTTP") != "127.0.0.1:9500":
            problems.append("a per-instance SWITCHBOARD_HTTP is not used")
        status, seen, _ = run("eu")
        if status == 0:
            problems.append("a non-numeric instance without SWITCHBOARD_HTTP starts anyway (on which port?)")
    return problems


def check_unit():
    return unit_problems(parse_unit(read(UNIT)))


def check_instances():
    return simulate_instances(parse_unit(read(UNIT)), env_file(read(ENV_EXAMPLE)))


def check_env_example():
    values = env_file(read(ENV_EXAMPLE))
    problems = unknown_env(values)
    for name in ("SWITCHBOARD_WORKER_NAME", "SWITCHBOARD_HTTP", "SWITCHBOARD_GATEWAY"):
        if name in values:
            problems.append(f"{name} is shared by every instance; the unit derives it per instance")
    if re.match(r"redis://[^@/]*:[^@/]*@", values.get("REDIS_URL", "")):
        problems.append("REDIS_URL carries a password; use /etc/switchboard/redis-password")
    if "REDIS_URL" not in values:
        problems.append("REDIS_URL is not set")
    return problems


# ---- the rest --------------------------------------------------------------------------

def check_readme():
    text = read("Deploy/README.md")
    problems = []
    for root, _, files in os.walk(path("Deploy")):
        for file in files:
            relative = os.path.relpath(os.path.join(root, file), path("Deploy"))
            if relative != "README.md" and file not in text:
                problems.append(f"Deploy/README.md does not mention {relative}")
    for file in ("docker-compose.yml", CLUSTER_COMPOSE, TLS_COMPOSE, ".dockerignore"):
        if file not in text:
            problems.append(f"Deploy/README.md does not mention {file}")
    # Every variable a deployment file sets (or offers, commented out, in the env example's
    # shared settings) is explained in the README's table.
    table = set(re.findall(r"^\| `([A-Z0-9_]+)`", text, re.MULTILINE)) | set(re.findall(r"^\| `[A-Z0-9_]+`, `([A-Z0-9_]+)`", text, re.MULTILINE))
    configmap = yaml.safe_load(read("Deploy/kubernetes/configmap.yaml")).get("data") or {}
    example = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", read("Deploy/systemd/switchboard.env.example").split("# Tuning")[0], re.MULTILINE))
    for name in sorted((set(configmap) | example) - table):
        problems.append(f"Deploy/README.md's variable table does not explain {name}")
    return problems


def check_images_agree():
    names = {"docker-compose.yml": image_base(yaml.safe_load(read("docker-compose.yml"))["services"][WORKER_SERVICE].get("image", ""))}
    manifests, kustomization = load_kubernetes(path("Deploy", "kubernetes"))
    for (kind, name), document in objects_of(manifests).items():
        if kind == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                names[f"deployment {container['name']}"] = image_base(container["image"])
    for image in (kustomization or {}).get("images") or []:
        names["kustomization newName"] = image_base(image.get("newName", image.get("name")))
    entry = [a for _, i, a in parse_dockerfile(read("Deploy/Dockerfile")) if i == "ENTRYPOINT"]
    names["Dockerfile ENTRYPOINT"] = os.path.basename(exec_form(entry[-1])[0]) if entry else None
    different = {k: v for k, v in names.items() if v != IMAGE_NAME}
    return [f"{k} uses {v!r}, expected {IMAGE_NAME}" for k, v in different.items()]


def check_negative_controls():
    """Broken copies must be caught, or the checks above prove nothing."""
    problems = []
    tls_compose = yaml.safe_load(read(TLS_COMPOSE))
    broken_tls = copy.deepcopy(tls_compose)
    broken_tls["services"][WORKER_SERVICE]["environment"]["REDIS_TLS_CA_FILE"] = "/run/secrets/redis-ca"
    broken_tls["services"][WORKER_SERVICE]["environment"]["REDIS_URL"] = "redis://redis:6379"
    found = " | ".join(tls_compose_problems(broken_tls, yaml.safe_load(read("docker-compose.yml"))))
    for expected in ("REDIS_TLS_CA_FILE", "rediss://"):
        if expected not in found:
            problems.append(f"compose (TLS) check missed a broken {expected}")
    with tempfile.TemporaryDirectory() as scratch:
        for file in os.listdir(path(TLS_OVERLAY)):
            with open(os.path.join(path(TLS_OVERLAY), file), encoding="utf-8") as source, open(os.path.join(scratch, file), "w", encoding="utf-8") as copied:
                copied.write(source.read().replace("readOnly: true", "readOnly: false").replace("/etc/switchboard/redis-tls/tls.key", "/etc/switchboard/redis-tls/client.key"))
        if "read-only" not in " | ".join(tls_overlay_problems(scratch)):
            problems.append("kubernetes (TLS) check missed a writable Secret mount")
        with open(os.path.join(scratch, "deployment-tls.yaml"), "w", encoding="utf-8") as copied:
            copied.write(read(os.path.join(TLS_OVERLAY, "deployment-tls.yaml")).replace("/etc/switchboard/redis-tls/tls.key", "/etc/switchboard/redis-tls/client.key"))
        if "REDIS_TLS_KEY_FILE" not in " | ".join(tls_overlay_problems(scratch)):
            problems.append("kubernetes (TLS) check missed a REDIS_TLS_KEY_FILE that is not a key of the Secret")
    compose = yaml.safe_load(read("docker-compose.yml"))
    broken = copy.deepcopy(compose)
    worker = broken["services"][WORKER_SERVICE]
    worker["replica"] = 3                                   # not a Compose key
    worker["container_name"] = "switchboard"
    worker["depends_on"] = ["redis"]
    worker["environment"] = {**env_mapping(worker.get("environment")), "SWITCHBOARD_HTTP_ADDR": "x"}
    worker["ports"] = ["8080:8080"]
    worker.pop("secrets", None)
    worker.pop("ulimits", None)
    if broken_compose_schema_problems(compose):
        problems.append("the unchanged compose document fails the schema once written back: the control below proves nothing")
    if "replica" not in " | ".join(broken_compose_schema_problems(broken)):
        problems.append("a compose file with an unknown service key (replica) passed the schema")
    found = " | ".join(compose_problems(broken))
    for expected in ("container_name", "service_healthy", "SWITCHBOARD_HTTP_ADDR", "fixed host port", "host port range",
                     "SWITCHBOARD_GATEWAY_SECRET_FILE", "ulimits.nofile"):
        if expected not in found:
            problems.append(f"compose structure check missed {expected}")

    cluster = yaml.safe_load(read(CLUSTER_COMPOSE))
    broken = copy.deepcopy(cluster)
    worker = broken["services"][WORKER_SERVICE]
    worker["environment"] = {**env_mapping(worker.get("environment")), "REDIS_URL": "redis://redis-0:6379,redis-9:6379",
                             "SWITCHBOARD_INTAKE_SHARDS": "4"}
    worker["depends_on"] = {"redis-0": {"condition": "service_healthy"}}
    node = broken["services"]["redis-5"]
    node["command"] = [w for w in node["command"] if w not in ("--appendonly", "yes")] + ["--cluster-enabled", "yes"]
    node["volumes"] = ["redis-4-data:/data"]
    creator = broken["services"]["redis-cluster-init"]
    creator["depends_on"]["redis-5"] = {"condition": "service_started"}
    found = " | ".join(cluster_compose_problems(broken))
    for expected in ("redis-9", "not a multiple", "depends_on.redis-cluster-init", "redis-5: runs without", "share a data volume",
                     "depends_on.redis-5.condition"):
        if expected not in found:
            problems.append(f"cluster compose check missed {expected!r}")

    dockerfile = read("Deploy/Dockerfile")
    broken = (dockerfile.replace("COPY Sources ./Sources", "COPY Source ./Sources").replace("COPY Tests ./Tests", "")
              .replace("USER 10001:10001", "USER root").replace('CMD ["worker"]', 'CMD ["wrker"]')
              .replace("libhiredis0.14", "libhiredis1.1.0").replace("EXPOSE 9464 8080", "EXPOSE 9464"))
    found = dockerfile_problems(broken)
    for part, expected in (("build context", "Source does not exist"), ("build context", "RedisTests"), ("runtime", "root"),
                           ("swift build", "wrker"), ("apt packages", "libhiredis1.1.0"), ("runtime", "EXPOSE 8080")):
        if expected not in " | ".join(found[part]):
            problems.append(f"Dockerfile check '{part}' missed {expected}")

    manifests, _ = load_kubernetes(path("Deploy", "kubernetes"))
    broken = copy.deepcopy(manifests)
    for document in (d for documents in broken.values() for d in documents):
        if document.get("kind") == "Deployment":
            pod = document["spec"]["template"]["spec"]
            pod["containers"][0]["readinessProbe"]["httpGet"]["port"] = "metrics"
            pod["volumes"][0]["secret"]["secretName"] = "nowhere"
            pod["securityContext"]["runAsUser"] = 0
            pod["containers"][0]["ports"] = [p for p in pod["containers"][0]["ports"] if p["name"] != "gateway"]
            pod["containers"][0]["env"] = [e for e in pod["containers"][0]["env"] if e["name"] != "SWITCHBOARD_GATEWAY_SECRET_FILE"]
        elif document.get("kind") == "Service":
            document["spec"]["selector"]["app.kubernetes.io/component"] = "redis"
    found = " | ".join(deployment_problems(broken, dockerfile_uid()) + reference_problems(broken) + gateway_kubernetes_problems(broken))
    for expected in ("readinessProbe port", "nowhere", "runAsUser", "named gateway", "SWITCHBOARD_GATEWAY_SECRET_FILE",
                     "does not select"):
        if expected not in found:
            problems.append(f"kubernetes checks missed {expected}")

    manifests, _ = load_kubernetes(path("Deploy", "kubernetes"))
    broken = copy.deepcopy(manifests)
    for document in (d for documents in broken.values() for d in documents):
        if document.get("kind") == "Secret" and "gateway-secret" in (document.get("stringData") or {}):
            document["stringData"]["gateway-secret"] = "0123456789abcdef" * 4
    if "usable key" not in " | ".join(gateway_kubernetes_problems(broken)):
        problems.append("kubernetes gateway check accepted a 64-byte example key")

    fragile = read(UNIT)
    fragile = re.sub(r"ExecStart=/bin/sh -c '.*?'\n", "ExecStart=/usr/local/bin/switchboard worker\n", fragile, flags=re.S)
    fragile = fragile.replace("Environment=SWITCHBOARD_WORKER_NAME=%H-%i", "Environment=SWITCHBOARD_WORKER_NAME=%H-%i SWITCHBOARD_HTTP=127.0.0.1:946%i")
    if "ExecStart=/usr/local/bin/switchboard worker\n" not in fragile:
        problems.append("could not build the fragile unit for the systemd negative control")
    elif "94610" not in " | ".join(simulate_instances(parse_unit(fragile), {})):
        problems.append("systemd simulation accepted SWITCHBOARD_HTTP=127.0.0.1:946%i (port 94610 for instance 10)")
    relative = (fragile.replace("ExecStart=/usr/local/bin/switchboard", "ExecStart=switchboard").replace("[Install]", "[Instal]")
                .replace("LimitNOFILE=65536\n", "").replace("LoadCredential=gateway-secret:", "LoadCredential=gateway-key:"))
    found = " | ".join(unit_problems(parse_unit(relative)))
    for expected in ("absolute", "[Install]", "LimitNOFILE", "LoadCredential=gateway-secret"):
        if expected not in found:
            problems.append(f"systemd unit check missed {expected}")
    return problems


CHECKS = [
    ("compose: validates against the Compose Specification schema", check_compose_schema),
    ("compose: redis (7, AOF, ping health check, volume) and 3 worker replicas wired to it, gateways published", check_compose_structure),
    ("compose (cluster): validates against the Compose Specification schema", check_cluster_compose_schema),
    ("compose (cluster): 3+3 cluster nodes, one create step, 3 workers seeded with every node", check_cluster_compose_structure),
    ("compose (TLS): docker-compose.tls.yml validates against the Compose Specification schema", check_tls_compose_schema),
    ("compose (TLS): Redis on TLS only, workers on rediss:// with every REDIS_TLS_* file a mounted secret", check_tls_compose_structure),
    ("kubernetes (TLS): the overlay mounts its Secret read-only and REDIS_TLS_* name its keys", check_tls_overlay),
    (".dockerignore: build products, git and local state stay out of the context", check_dockerignore),
    ("Dockerfile: base images swift:6.3-bookworm and debian:bookworm-slim", check_dockerfile("base images")),
    ("Dockerfile: COPY sources exist, are not ignored, cover every target folder", check_dockerfile("build context")),
    ("Dockerfile: builds the executable product it runs, CMD is a real subcommand", check_dockerfile("swift build")),
    ("Dockerfile: apt packages are the expected Debian names", check_dockerfile("apt packages")),
    ("Dockerfile: non-root numeric USER, HTTP on 0.0.0.0:9464, gateway port exposed, HEALTHCHECK, SIGTERM", check_dockerfile("runtime")),
    ("kubernetes: every document parses with apiVersion, kind, metadata.name", check_kubernetes("manifests")),
    ("kubernetes: kustomization lists every manifest and rewrites the image", check_kubernetes("kustomization")),
    ("kubernetes: deployment replicas, probes, resources, security, annotations", check_kubernetes("deployment")),
    ("kubernetes: ConfigMap/Secret references resolve; env names are the worker's", check_kubernetes("references")),
    ("kubernetes: the gateway Service selects the workers' gateway port; the example key is unusable", check_kubernetes("gateway")),
    ("images: compose, Deployment, kustomization and ENTRYPOINT agree", check_images_agree),
    ("systemd: unit sections, absolute ExecStart, restart, stop, hardening, credential", check_unit),
    ("systemd: instances get distinct ports and names; credential and overrides work", check_instances),
    ("systemd: switchboard.env.example sets only shared worker settings", check_env_example),
    ("Deploy/README.md mentions every deployment file", check_readme),
    ("negative controls: broken copies of each file are caught", check_negative_controls),
]


def main():
    passed = failed = 0
    for name, check in CHECKS:
        try:
            problems = check()
        except Exception as error:  # a missing file or a parse error is a failed check, not a crash
            problems = [f"{type(error).__name__}: {error}"]
        if problems:
            failed += 1
            print(f"FAIL {name}\n" + "".join(f"       - {p}\n" for p in problems), end="")
        else:
            passed += 1
            print(f"ok   {name}")
    pending = sorted(name for name in CONTRACT_ENV if not any(f'"{name}"' in text for text in CLI.values()))
    if pending:
        print(f"note: not declared in Sources/SwitchboardCLI yet (worker contract): {', '.join(pending)}")
    print(f"deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
