#!/usr/bin/env python3
"""Checks deploy/compose.yaml and its Dockerfile against the source tree and the build.

    compose_check.py SOURCE_DIR BUILD_DIR

1. `docker-compose -f deploy/compose.yaml config` must succeed (Debian 12's docker-compose
   1.29.2 validates the file without a Docker engine); its resolved output is what is checked.
2. Every command (and health check) of a service running the synchub image names a binary
   the build produces (/usr/local/bin/NAME -> a file NAME under BUILD_DIR) that the Dockerfile
   builds and CMake installs; every --flag is in that binary's --help; a binary with
   subcommands is given one. The Dockerfile builds every target CMake installs (else
   `cmake --install` fails). A command that runs a shell script (`/bin/sh FILE`) has the
   script read through its bind mount, and each /usr/local/bin/NAME it calls is checked the
   same way.
3. Listening services bind all interfaces (not 127.0.0.1), published and health-checked ports
   are ports the service listens on, and the HTTP API port is published. A health check of the
   HTTP API asks for /healthz (the one route without a token), or sends a token.
4. Every long-running service has a health check; depends_on names existing services with
   conditions they can meet.
5. Connector configs named by --config exist (through the service's bind mounts), parse as
   JSON, name a registered source, and point at host:port pairs a service listens on with the
   right role (ingest/resolver entrance, outbound, a database the PostgreSQL service creates).
   SYNCHUB_DB connection strings are checked the same way.
6. Every bind-mounted file and every file the Dockerfile COPYs exists, and the Dockerfile's
   .dockerignore does not leave a copied path out of the build context.
7. Keys (docs/security.md): synchub-resolver and synchub-outbound get --curve-secret-key FILE,
   synchub-ingest --curve-secret-key, --curve-client-key and --resolver-server-key, unless
   --insecure; a connector config talking to a CURVE server has "curve" with its three files
   and no "token" (a per-deployment secret has no place in the repository); secret keys are
   .key files, server keys .pub files, each the public half of the key the server at that
   endpoint is given; every key file lies in a volume of the service. A key in a named volume
   is read through a read-only mount, written by a one-shot service the reader waits for
   (depends_on, directly or through others), whose script (when it runs one) makes key pairs
   (synchub-keygen --out), registers public keys (synchub-migrate --create-credential ...
   --curve-public-key) and names each key's base name; no two sources share a key.
8. Images (./dev compose-demo builds them on a local base): every Dockerfile a service builds
   starts from the build argument BASE (FROM ${BASE} or one of its own stages), which the
   service's build.args passes; deploy/docker/Dockerfile.prebuilt (the synchub image from
   host-built binaries) installs the same runtime packages as Dockerfile's runtime stage, makes
   the same user and secrets folder, and COPYs bin/. Services of other images (PostgreSQL,
   Prometheus, Grafana) are known by their image's name and port (EXTERNAL_IMAGE_PORTS).
9. Prometheus: its prometheus.yml (through the bind mount) loads rule files that are there,
   every static target is a compose service listening on that port, and a credentials_file
   (the reader's token) lies in a volume written by a one-shot service that names the file
   and that Prometheus waits for.

Exits 0 when all holds; otherwise prints one line per problem, naming the service and flag,
and exits 1.
"""
import fnmatch
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

BIN_PREFIX = "/usr/local/bin/"
LISTEN_FLAGS = ("--listen", "--dead-letters", "--zmq-listen", "--port")
ALL_INTERFACES = ("0.0.0.0", "*", "::", "[::]")
SHELLS = ("/bin/sh", "sh", "/bin/bash", "bash")
# Which listener a connector config key must point at: (binary, flag) pairs.
CONNECTOR_TARGETS = {
    "submit": {("synchub-ingest", "--zmq-listen"), ("synchub-resolver", "--listen")},
    "outbound": {("synchub-outbound", "--listen")},
}
# Image name -> the port it listens on, for the images that do not run synchub binaries: the
# PostgreSQL and Prometheus images deploy/docker/ builds from Debian packages, Grafana's.
EXTERNAL_IMAGE_PORTS = {"postgres": 5432, "synchub-postgres": 5432, "synchub-prometheus": 9090,
                        "grafana-oss": 3000, "grafana": 3000}
SYNCHUB_DOCKERFILE = os.path.join("deploy", "docker", "Dockerfile")  # builds the synchub image
# Builds the same runtime image from binaries built on the host (./dev compose-demo).
PREBUILT_DOCKERFILE = os.path.join("deploy", "docker", "Dockerfile.prebuilt")
# The key files a synchub server refuses to start without unless given --insecure: flag ->
# what the file must be (".key": a secret key; ".pub": a server's public key).
KEY_FLAGS = {
    "synchub-resolver": {"--curve-secret-key": ".key"},
    "synchub-outbound": {"--curve-secret-key": ".key"},
    "synchub-ingest": {"--curve-secret-key": ".key", "--curve-client-key": ".key",
                       "--resolver-server-key": ".pub"},
}
CLIENT_KEY_FLAGS = {"--curve-client-key"}  # a key registered with a credential, not a server's
# A connector config's "curve": key -> (what the file must be, the config key of the endpoint
# whose server key it is).
CONNECTOR_CURVE_KEYS = {"secret_key_file": (".key", None),
                        "submit_server_key_file": (".pub", "submit"),
                        "outbound_server_key_file": (".pub", "outbound")}
PUBLIC_HTTP_PATHS = ("/healthz",)  # the gateway's routes that need no bearer token


class Checker:
    def __init__(self, source_dir, build_dir):
        self.source_dir = os.path.abspath(source_dir)
        self.build_dir = os.path.abspath(build_dir)
        self.compose_file = os.path.join(self.source_dir, "deploy", "compose.yaml")
        self.problems = []
        self.binaries = {}
        self.help_cache = {}
        self.services = {}
        self.ours = set()  # services running the image this compose file builds
        self.listens = {}  # service -> {port: (binary, flag)}
        self.scripts = {}  # service -> text of the shell script its command runs
        self.script_calls = {}  # service -> [(binary, {flags})] its script runs
        self.insecure = set()  # services started with --insecure
        self.server_keys = {}  # service -> its --curve-secret-key path (in the container)
        self.key_uses = []  # (service, what, path, mount, client?): keys read from named volumes
        self.source_keys = {}  # identity of a connector's secret key file -> {sources}

    def fail(self, message):
        self.problems.append(message)

    # ---- 1. docker-compose config -------------------------------------------------------
    def resolved_config(self):
        exe = shutil.which("docker-compose")
        if exe is None:
            self.fail("docker-compose is not installed (tools/dev/debian-packages.txt; ./dev deps)")
            return None
        # Defaults only: a developer's SYNCHUB_* or COMPOSE_* variables must not change the result.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SYNCHUB_", "COMPOSE_", "DOCKER_"))}
        try:
            run = subprocess.run([exe, "-f", self.compose_file, "config"], cwd=self.source_dir,
                                 env=env, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            self.fail("docker-compose config did not finish within 120 s")
            return None
        if run.returncode != 0:
            self.fail(f"docker-compose -f {self.compose_file} config exited {run.returncode}: "
                      f"{(run.stderr or run.stdout).strip()}")
            return None
        return yaml.safe_load(run.stdout)

    # ---- helpers ------------------------------------------------------------------------
    def index_build(self):
        for root, dirs, files in os.walk(self.build_dir):
            dirs[:] = [d for d in dirs if d != "CMakeFiles"]
            for name in files:
                path = os.path.join(root, name)
                if os.access(path, os.X_OK) and os.path.isfile(path):
                    self.binaries.setdefault(name, path)

    def help_text(self, name, subcommand=None):
        key = (name, subcommand)
        if key not in self.help_cache:
            argv = [self.binaries[name]] + ([subcommand] if subcommand else []) + ["--help"]
            try:
                run = subprocess.run(argv, capture_output=True, text=True, timeout=20)
                self.help_cache[key] = run.stdout + run.stderr
            except (OSError, subprocess.TimeoutExpired) as error:
                self.help_cache[key] = ""
                self.fail(f"{' '.join([name] + argv[1:])} failed: {error}")
        return self.help_cache[key]

    @staticmethod
    def invocations(argv):
        """The programs a command runs: itself, or each piece of a `sh -c` script."""
        if isinstance(argv, str):
            argv = shlex.split(argv)
        if len(argv) >= 3 and argv[0] in SHELLS and argv[1] == "-c":
            lexer = shlex.shlex(argv[2], posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            pieces, current = [], []
            for token in lexer:
                if token in ("&&", "||", ";", "|", "&"):
                    pieces.append(current)
                    current = []
                else:
                    current.append(token)
            pieces.append(current)
            return [p[1:] if p and p[0] == "exec" else p for p in pieces if p]
        return [list(argv)] if argv else []

    @staticmethod
    def health_argv(service):
        test = (service.get("healthcheck") or {}).get("test")
        if not test or test == ["NONE"]:
            return []
        if isinstance(test, str):
            return ["/bin/sh", "-c", test]
        if test[0] == "CMD":
            return test[1:]
        if test[0] == "CMD-SHELL":
            return ["/bin/sh", "-c", " ".join(test[1:])]
        return test

    @staticmethod
    def environment(config):
        env = config.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return env

    @staticmethod
    def flag_values(argv):
        """{--flag: [values]} for `--flag value` and `--flag=value`."""
        values = {}
        for i, arg in enumerate(argv):
            if not arg.startswith("--"):
                continue
            if "=" in arg:
                name, value = arg.split("=", 1)
            else:
                name = arg
                has_value = i + 1 < len(argv) and not argv[i + 1].startswith("-")
                value = argv[i + 1] if has_value else None
            values.setdefault(name, []).append(value)
        return values

    @staticmethod
    def endpoint(text):
        """(host, port) of tcp://host:port, or None."""
        match = re.fullmatch(r"tcp://(\[[^\]]+\]|[^:/]+):(\d+)", text or "")
        return (match.group(1), int(match.group(2))) if match else None

    # ---- 2. commands, flags and binaries -------------------------------------------------
    def check_program(self, service, argv, where):
        if not argv:
            return None
        program = argv[0]
        name = os.path.basename(program)
        if not program.startswith(BIN_PREFIX):
            if name in self.binaries:
                self.fail(f"service {service}: {where} runs {program}; the image installs it as "
                          f"{BIN_PREFIX}{name}")
            return None  # a system tool (sh, bash, curl)
        if name not in self.binaries:
            self.fail(f"service {service}: {where} names {program}, but the build "
                      f"({self.build_dir}) produces no file named {name}")
            return None
        help_text = self.help_text(name)
        shown = f"{name} --help"
        if "Subcommands:" in help_text:
            subcommands = re.findall(r"^\s{2}(\w[\w-]*)\s{2,}",
                                     help_text.split("Subcommands:", 1)[1], re.M)
            given = [arg for arg in argv[1:] if arg in subcommands]
            if not given:
                self.fail(f"service {service}: {where}: {name} needs a subcommand "
                          f"({', '.join(subcommands)})")
            else:  # the subcommand's own options (e.g. `run --metrics-listen`) count too
                help_text += self.help_text(name, given[0])
                shown = f"{name} {given[0]} --help"
        for arg in argv[1:]:
            if not arg.startswith("--"):
                continue
            flag = arg.split("=", 1)[0]
            if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", help_text):
                self.fail(f"service {service}: {where}: flag {flag} is not in `{shown}`")
        return name

    def check_commands(self):
        installed = self.cmake_install_targets()
        built = self.dockerfile_build_targets()
        for service in sorted(self.ours):
            config = self.services[service]
            command = config.get("command")
            if not command:
                self.fail(f"service {service}: no command (the image has no entrypoint)")
                continue
            names = []
            for argv in self.invocations(command):
                script = self.script_path(argv)
                if script:
                    names += self.check_script(service, script)
                    continue
                name = self.check_program(service, argv, "command")
                if name:
                    names.append(name)
                    self.record_listens(service, name, argv)
            if not names:
                self.fail(f"service {service}: its command runs no synchub binary "
                          f"from {BIN_PREFIX}")
            for argv in self.invocations(self.health_argv(config)):
                name = self.check_program(service, argv, "healthcheck")
                if name:
                    names.append(name)
            for name in names:
                if name not in installed:
                    self.fail(f"service {service}: {name} is not in the install(TARGETS ...) "
                              f"of CMakeLists.txt, so `cmake --install` leaves it out")
                if built is not None and name not in built:
                    self.fail(f"service {service}: {name} is not among the Dockerfile's "
                              f"`cmake --build --target` targets")
        if built:
            for name in sorted(installed - built):
                self.fail(f"CMakeLists.txt's install(TARGETS ...) names {name}, which the "
                          f"Dockerfile does not build (`cmake --build --target`): its "
                          f"`cmake --install` would fail")

    @staticmethod
    def script_path(argv):
        """The script a command runs: `sh FILE ...`, or FILE.sh itself; else None."""
        if len(argv) >= 2 and argv[0] in SHELLS and not argv[1].startswith("-"):
            return argv[1]
        if argv and argv[0].endswith(".sh"):
            return argv[0]
        return None

    @staticmethod
    def script_invocations(text):
        """Each /usr/local/bin/NAME call of a shell script, as [program, words...]: the words up
        to the end of its (joined) line, the next call, or `&&`, `||`, `;`, `|`. Full-line
        comments are skipped. Good enough for scripts that name each binary by its full path
        and write its flags literally, as deploy/docker/*.sh do."""
        calls = []
        for line in re.sub(r"\\\n", " ", text).splitlines():
            if line.lstrip().startswith("#"):
                continue
            for match in re.finditer(re.escape(BIN_PREFIX) + r"[\w.-]+", line):
                rest = line[match.end():]
                following = rest.find(BIN_PREFIX)
                if following >= 0:
                    rest = rest[:following]
                rest = re.split(r"&&|\|\||;|\|", rest)[0]
                calls.append([match.group(0)] + [w.strip("\"'()") for w in rest.split()])
        return calls

    def check_script(self, service, path):
        """Checks the synchub binaries a script calls; returns their names."""
        host_file = self.host_path(service, path)
        if host_file is None:
            self.fail(f"service {service}: its command runs the script {path}, which is inside "
                      f"no bind mount (the check reads scripts from the repository)")
            return []
        if not os.path.isfile(host_file):
            self.fail(f"service {service}: its command runs {path}, which is {host_file}: no "
                      f"such file")
            return []
        with open(host_file) as f:
            text = f.read()
        self.scripts[service] = text
        where = f"script {os.path.relpath(host_file, self.source_dir)}"
        names = []
        for argv in self.script_invocations(text):
            name = self.check_program(service, argv, where)
            if name:
                names.append(name)
                flags = {arg.split("=", 1)[0] for arg in argv[1:] if arg.startswith("--")}
                self.script_calls.setdefault(service, []).append((name, flags))
        return names

    def cmake_install_targets(self):
        with open(os.path.join(self.source_dir, "CMakeLists.txt")) as f:
            text = f.read()
        targets = set()
        for block in re.findall(r"install\s*\(\s*TARGETS\s+([^)]*)\)", text):
            names = re.split(r"\b(?:RUNTIME|LIBRARY|ARCHIVE|DESTINATION|EXPORT|COMPONENT)\b",
                             block)[0]
            targets.update(names.split())
        return targets

    def dockerfile_build_targets(self):
        text = getattr(self, "dockerfile_text", None)
        if text is None:
            return None
        match = re.search(r"--target((?:\s+[\w-]+)+)", re.sub(r"\\\n", " ", text))
        return set(match.group(1).split()) if match else set()

    # ---- 3. listeners and ports ---------------------------------------------------------
    def record_listens(self, service, name, argv):
        help_text = self.help_text(name)
        given = self.flag_values(argv)
        ports = self.listens.setdefault(service, {})
        for flag in LISTEN_FLAGS:
            if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", help_text):
                continue
            values = given.get(flag)
            if not values:
                self.fail(f"service {service}: {name} listens on {flag} but the command does "
                          f"not set it (its default binds 127.0.0.1, unreachable from other "
                          f"containers)")
                continue
            if flag == "--port":
                host = (given.get("--host") or ["127.0.0.1"])[0]
                if host not in ALL_INTERFACES:
                    self.fail(f"service {service}: {name} --host {host}: bind 0.0.0.0 so other "
                              f"containers and the published port reach it")
                if values[0] and values[0].isdigit():
                    ports[int(values[0])] = (name, flag)
                continue
            parsed = self.endpoint(values[0])
            if parsed is None:
                self.fail(f"service {service}: {name} {flag} {values[0]} is not tcp://HOST:PORT")
                continue
            if parsed[0] not in ALL_INTERFACES:
                self.fail(f"service {service}: {name} {flag} {values[0]} binds {parsed[0]}; "
                          f"bind tcp://0.0.0.0:{parsed[1]} in a container")
            ports[parsed[1]] = (name, flag)
        # --metrics-listen HOST:PORT (no scheme) is optional: off when not given.
        for value in given.get("--metrics-listen") or []:
            host, _, port = value.rpartition(":")
            if not port.isdigit() or not host:
                self.fail(f"service {service}: {name} --metrics-listen {value} is not HOST:PORT")
                continue
            if host not in ALL_INTERFACES:
                self.fail(f"service {service}: {name} --metrics-listen {value} binds {host}; "
                          f"bind 0.0.0.0:{port} in a container")
            ports[int(port)] = (name, "--metrics-listen")

    def record_external_listens(self):
        for service, config in self.services.items():
            if service in self.ours:
                continue
            image = (config.get("image") or "").split(":")[0].split("/")[-1]
            if image in EXTERNAL_IMAGE_PORTS:
                port = EXTERNAL_IMAGE_PORTS[image]
                command = config.get("command") or []
                command = shlex.split(command) if isinstance(command, str) else command
                for i, arg in enumerate(command):
                    if arg == "-p" and i + 1 < len(command):
                        port = int(command[i + 1])
                    elif arg.startswith("port="):
                        port = int(arg.split("=", 1)[1])
                self.listens[service] = {port: (image, "default")}

    @staticmethod
    def container_port(entry):
        if isinstance(entry, dict):
            return int(entry["target"])
        text = str(entry).split("/", 1)[0]
        return int(text.rsplit(":", 1)[-1].split("-")[0])

    def check_ports(self):
        published = {}
        for service, config in sorted(self.services.items()):
            listening = self.listens.get(service, {})
            for entry in config.get("ports") or []:
                target = self.container_port(entry)
                published.setdefault(service, set()).add(target)
                if target not in listening:
                    self.fail(f"service {service}: publishes container port {target}, but it "
                              f"listens on {sorted(listening) or 'nothing known'}")
            for port in self.health_ports(config):
                if port not in listening:
                    self.fail(f"service {service}: its healthcheck probes port {port}, but it "
                              f"listens on {sorted(listening) or 'nothing known'}")
            self.check_health_paths(service, config, listening)
        for service, ports in self.listens.items():
            for port, (name, flag) in ports.items():
                if name == "synchub-ingest" and flag == "--port" and \
                        port not in published.get(service, set()):
                    self.fail(f"service {service}: the HTTP API (--port {port}) is not published")

    def check_health_paths(self, service, config, listening):
        """A health check of the gateway's HTTP API asks for a route without a token
        (/healthz; /metrics with --public-metrics), or sends one (an Authorization header)."""
        text = " ".join(self.health_argv(config))
        public = set(PUBLIC_HTTP_PATHS)
        for argv in self.invocations(config.get("command") or []):
            if "--public-metrics" in argv:
                public.add("/metrics")
        for port, path in re.findall(r"https?://[^/:\s]+:(\d+)(/[^\s\"'?]*)?", text):
            if listening.get(int(port)) != ("synchub-ingest", "--port"):
                continue
            if (path or "/") not in public and "Authorization" not in text:
                self.fail(f"service {service}: its healthcheck asks for {path or '/'} on the "
                          f"HTTP API, which answers 401 without a bearer token; probe "
                          f"{' or '.join(sorted(public))} (docs/security.md)")

    def health_ports(self, config):
        text = " ".join(self.health_argv(config))
        ports = [int(p) for p in re.findall(r"/dev/tcp/[^/\s]+/(\d+)", text)]
        ports += [int(p) for p in re.findall(r"https?://[^/:\s]+:(\d+)", text)]
        argv = self.health_argv(config)
        if argv and os.path.basename(argv[0]) == "pg_isready" and "-p" in argv:
            ports.append(int(argv[argv.index("-p") + 1]))
        return ports

    # ---- 4. health checks and dependencies ------------------------------------------------
    @staticmethod
    def depends_on(config):
        depends = config.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {name: {"condition": "service_started"} for name in depends}
        return {name: (spec or {}).get("condition", "service_started")
                for name, spec in depends.items()}

    def one_shot(self, name):
        """A service others wait to complete, or one restarted only on failure."""
        restart = str(self.services[name].get("restart", "no")).split(":")[0]
        awaited = any(self.depends_on(c).get(name) == "service_completed_successfully"
                      for c in self.services.values())
        return restart == "on-failure" or (awaited and restart == "no")

    def check_health_and_dependencies(self):
        for service, config in sorted(self.services.items()):
            restart = config.get("restart", "no")
            if not self.one_shot(service):
                if not self.health_argv(config):
                    self.fail(f"service {service}: long-running but has no healthcheck")
                if restart not in ("always", "unless-stopped"):
                    self.fail(f"service {service}: long-running with restart policy "
                              f"{restart!r}; use unless-stopped")
            for dependency, condition in self.depends_on(config).items():
                target = self.services.get(dependency)
                if target is None:
                    self.fail(f"service {service}: depends_on {dependency}, which does not exist")
                elif condition == "service_healthy" and not self.health_argv(target):
                    self.fail(f"service {service}: waits for {dependency} to be healthy, but "
                              f"{dependency} has no healthcheck")
                elif condition == "service_completed_successfully" and \
                        str(target.get("restart", "no")).split(":")[0] not in ("no", "on-failure"):
                    self.fail(f"service {service}: waits for {dependency} to complete, but "
                              f"{dependency} restarts ({target.get('restart')})")

    # ---- 5. connector configs and connection strings ---------------------------------------
    def mounts(self, service):
        """The service's volumes as dicts: source, target, read_only, named (a named volume,
        not a bind mount), in either syntax docker-compose config may print."""
        result = []
        for volume in self.services[service].get("volumes") or []:
            if isinstance(volume, dict):
                source, target = volume.get("source", ""), volume.get("target", "")
                read_only = bool(volume.get("read_only"))
                named = volume.get("type", "volume") == "volume"
            else:
                parts = str(volume).split(":")
                if len(parts) < 2:
                    continue
                source, target = parts[0], parts[1]
                read_only = len(parts) > 2 and "ro" in parts[2].split(",")
                named = not source.startswith(("/", ".", "~"))
            result.append({"source": source, "target": target, "read_only": read_only,
                           "named": named})
        return result

    def mount_of(self, service, container_path):
        """The mount holding a container path (the deepest one), or None."""
        best = None
        for mount in self.mounts(service):
            target = mount["target"].rstrip("/")
            if container_path == mount["target"] or container_path.startswith(target + "/"):
                if best is None or len(target) > len(best["target"].rstrip("/")):
                    best = mount
        return best

    def host_path(self, service, container_path):
        mount = self.mount_of(service, container_path)
        if mount is None or mount["named"]:
            return None
        return mount["source"] + container_path[len(mount["target"]):]

    def check_listener(self, service, what, host, port, roles=None):
        if host not in self.services:
            self.fail(f"service {service}: {what} names host {host}, which is no service "
                      f"of the compose file")
            return None
        listening = self.listens.get(host, {})
        if port not in listening:
            self.fail(f"service {service}: {what} names {host}:{port}, but {host} listens on "
                      f"{sorted(listening) or 'nothing known'}")
            return None
        if roles and listening[port] not in roles:
            name, flag = listening[port]
            self.fail(f"service {service}: {what} names {host}:{port}, which is {name} {flag}; "
                      f"expected one of {sorted(' '.join(r) for r in roles)}")
        return listening[port]

    def check_conninfo(self, service, what, conninfo):
        fields = dict(re.findall(r"(\w+)\s*=\s*(\S+)", conninfo or ""))
        host = fields.get("host")
        if not host:
            self.fail(f"service {service}: {what} has no host= (a socket path means nothing "
                      f"across containers)")
            return
        port = int(fields.get("port", "5432"))
        if self.check_listener(service, what, host, port) is None:
            return
        database = self.services[host]
        env = self.environment(database)
        user = fields.get("user")
        if env.get("POSTGRES_USER") and user != env.get("POSTGRES_USER"):
            self.fail(f"service {service}: {what} connects as {user!r}; {host} creates "
                      f"{env.get('POSTGRES_USER')!r}")
        dbname = fields.get("dbname")
        if dbname and dbname != env.get("POSTGRES_DB", env.get("POSTGRES_USER")):
            if dbname not in self.created_databases(database):
                self.fail(f"service {service}: {what} names database {dbname!r}, which neither "
                          f"POSTGRES_DB nor an init script of {host} creates")

    @staticmethod
    def created_databases(database):
        """Names the service's init scripts create: `CREATE DATABASE name`, or a shell loop
        `for db in a b c` around a CREATE DATABASE."""
        names = set()
        for volume in database.get("volumes") or []:
            parts = str(volume).split(":")
            if len(parts) < 2 or "docker-entrypoint-initdb.d" not in parts[1] or \
                    not os.path.isfile(parts[0]):
                continue
            with open(parts[0]) as f:
                code = "\n".join(line for line in f.read().splitlines()
                                 if not line.lstrip().startswith(("#", "--")))
            names.update(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", code, re.I))
            if re.search(r"CREATE\s+DATABASE\s+\$", code, re.I):
                for loop in re.findall(r"\bfor\s+\w+\s+in\s+([\w ]+?)\s*;", code):
                    names.update(loop.split())
        return names

    def registered_sources(self):
        text = ""
        for path in sorted(glob.glob(os.path.join(self.source_dir, "sql", "*.sql"))):
            with open(path) as f:
                text += f.read()
        return text

    def check_connector_configs(self):
        sql = self.registered_sources()
        for service in sorted(self.ours):
            config = self.services[service]
            env = self.environment(config)
            if env.get("SYNCHUB_DB"):
                self.check_conninfo(service, "SYNCHUB_DB", env["SYNCHUB_DB"])
            argvs = self.invocations(config.get("command") or [])
            argvs += self.invocations(self.health_argv(config))
            for argv in argvs:
                flags = self.flag_values(argv)
                for value in flags.get("--db", []):
                    self.check_conninfo(service, "--db", value)
                for value in flags.get("--resolver", []):
                    parsed = self.endpoint(value)
                    if parsed is None:
                        self.fail(f"service {service}: --resolver {value} is not tcp://HOST:PORT")
                    else:
                        self.check_listener(service, f"--resolver {value}", *parsed,
                                            roles={("synchub-resolver", "--listen")})
                for path in flags.get("--config", []):
                    self.check_connector_config(service, path, sql)

    def check_connector_config(self, service, path, sql):
        host_file = self.host_path(service, path or "")
        if host_file is None:
            self.fail(f"service {service}: --config {path} is not inside any bind mount")
            return
        if not os.path.isfile(host_file):
            self.fail(f"service {service}: --config {path} is {host_file}, which does not exist")
            return
        try:
            with open(host_file) as f:
                data = json.load(f)
        except (OSError, ValueError) as error:
            self.fail(f"service {service}: {host_file} is not valid JSON: {error}")
            return
        where = os.path.relpath(host_file, self.source_dir)
        for key in ("source", "database", "submit", "outbound", "entities"):
            if not data.get(key):
                self.fail(f"service {service}: {where}: {key} is missing or empty")
        if data.get("source") and f"'{data['source']}'" not in sql:
            self.fail(f"service {service}: {where}: source {data['source']!r} is not registered "
                      f"by sql/*.sql (source_priority)")
        for key, roles in CONNECTOR_TARGETS.items():
            if data.get(key):
                parsed = self.endpoint(data[key])
                if parsed is None:
                    self.fail(f"service {service}: {where}: {key} {data[key]} is not "
                              f"tcp://HOST:PORT")
                else:
                    self.check_listener(service, f"{where} {key}", *parsed, roles=roles)
        if data.get("database"):
            self.check_conninfo(service, f"{where} database", data["database"])
        if data.get("api"):
            match = re.fullmatch(r"https?://([^:/]+):(\d+)/?", str(data["api"]))
            if match is None:
                self.fail(f"service {service}: {where}: api {data['api']} is not "
                          f"http://HOST:PORT")
            else:
                self.check_listener(service, f"{where} api", match.group(1),
                                    int(match.group(2)), roles={("synchub-ingest", "--port")})
        if "token" in data:
            self.fail(f"service {service}: {where}: holds a \"token\": tokens are made per "
                      f"deployment (the credentials volume), a file in the repository must not "
                      f"hold one")
        self.check_connector_curve(service, where, data)

    # ---- 6. files: bind mounts, Dockerfile COPY, .dockerignore ------------------------------
    def check_files(self):
        for service, config in sorted(self.services.items()):
            for volume in config.get("volumes") or []:
                source = volume.get("source", "") if isinstance(volume, dict) \
                    else str(volume).split(":")[0]
                if source.startswith("/") and not os.path.exists(source):
                    self.fail(f"service {service}: mounts {source}, which does not exist")
            build = config.get("build")
            if not build:
                continue
            build = {"context": build} if isinstance(build, str) else build
            context = build.get("context", ".")
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.isfile(dockerfile):
                self.fail(f"service {service}: Dockerfile {dockerfile} does not exist")
                continue
            self.check_dockerfile(service, context, dockerfile)
            self.check_base_arg(service, dockerfile, build)

    def check_dockerfile(self, service, context, dockerfile):
        with open(dockerfile) as f:
            text = f.read()
        if os.path.abspath(dockerfile) == os.path.join(self.source_dir, SYNCHUB_DOCKERFILE):
            self.dockerfile_text = text
        ignore = dockerfile + ".dockerignore"
        if not os.path.isfile(ignore):
            ignore = os.path.join(context, ".dockerignore")
        patterns = []
        if os.path.isfile(ignore):
            with open(ignore) as f:
                patterns = [line.strip() for line in f
                            if line.strip() and not line.lstrip().startswith("#")]
        joined = re.sub(r"\\\n", " ", text)
        for line in joined.splitlines():
            words = line.split()
            if not words or words[0].upper() not in ("COPY", "ADD"):
                continue
            args = [w for w in words[1:] if not w.startswith("--")]
            if any(w.startswith("--from") for w in words[1:]) or len(args) < 2:
                continue
            for source in args[:-1]:
                relative = source.strip("/") or "."
                matches = glob.glob(os.path.join(context, relative))
                if not matches:
                    self.fail(f"service {service}: {os.path.relpath(dockerfile, context)}: "
                              f"COPY {source}: no such file in the build context {context}")
                elif self.ignored(relative.rstrip("/"), patterns):
                    self.fail(f"service {service}: COPY {source}, but "
                              f"{os.path.relpath(ignore, context)} leaves it out of the context")

    def check_base_arg(self, service, dockerfile, build):
        """Every image starts from the BASE build argument (a local Debian 12 image where no
        registry is reachable: ./dev compose-demo), which the compose file passes."""
        with open(dockerfile) as f:
            text = f.read()
        where = os.path.relpath(dockerfile, self.source_dir)
        if not re.search(r"^ARG\s+BASE=\S+", text, re.M):
            self.fail(f"service {service}: {where} has no `ARG BASE=...` before its FROM")
        stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.M | re.I))
        for image in re.findall(r"^FROM\s+(\S+)", text, re.M | re.I):
            if image not in ("${BASE}", "$BASE") and image not in stages:
                self.fail(f"service {service}: {where}: FROM {image}; start from ${{BASE}}")
        args = build.get("args") or {}
        if isinstance(args, list):
            args = dict(a.split("=", 1) if "=" in a else (a, "") for a in args)
        if "BASE" not in args:
            self.fail(f"service {service}: build.args has no BASE (the base image's argument)")

    @staticmethod
    def runtime_packages(text):
        """The packages of the apt-get install in a Dockerfile's runtime stage."""
        stage = re.split(r"^FROM\s+\S+\s+AS\s+runtime\b", text, flags=re.M | re.I)
        if len(stage) < 2:
            return None
        joined = re.sub(r"\\\n", " ", stage[1])
        match = re.search(r"apt-get install ([^&]*)", joined)
        return {w for w in match.group(1).split() if not w.startswith("-")} if match else None

    def check_prebuilt(self):
        """Dockerfile.prebuilt is Dockerfile's runtime stage with the binaries from the host:
        the same packages, the same user and secrets folder, every binary COPYed in."""
        path = os.path.join(self.source_dir, PREBUILT_DOCKERFILE)
        text = getattr(self, "dockerfile_text", None)
        if not os.path.isfile(path) or text is None:
            self.fail(f"{PREBUILT_DOCKERFILE} or {SYNCHUB_DOCKERFILE} is missing")
            return
        with open(path) as f:
            prebuilt = f.read()
        ours, theirs = self.runtime_packages(text), self.runtime_packages(prebuilt)
        if ours is None or theirs is None or ours != theirs:
            self.fail(f"{PREBUILT_DOCKERFILE}: its runtime packages {sorted(theirs or [])} differ "
                      f"from {SYNCHUB_DOCKERFILE}'s runtime stage {sorted(ours or [])}")
        for needed in ("--uid 10001", "/etc/synchub/secrets", "COPY bin/ /usr/local/bin/",
                       "USER synchub"):
            if needed not in prebuilt:
                self.fail(f"{PREBUILT_DOCKERFILE}: lacks `{needed}` (as in {SYNCHUB_DOCKERFILE})")

    def check_prometheus(self):
        """A Prometheus service's configuration (through its bind mount): every static target
        is a compose service listening on that port, and a credentials_file lies in a volume
        of the service, written by a one-shot service whose script names it."""
        for service, config in sorted(self.services.items()):
            image = (config.get("image") or "").split(":")[0].split("/")[-1]
            if EXTERNAL_IMAGE_PORTS.get(image) != 9090:
                continue
            argv = config.get("command") or []
            argv = shlex.split(argv) if isinstance(argv, str) else argv
            path = next((a.split("=", 1)[1] for a in argv if a.startswith("--config.file=")),
                        "/etc/prometheus/prometheus.yml")
            host_file = self.host_path(service, path)
            if host_file is None or not os.path.isfile(host_file):
                self.fail(f"service {service}: its configuration {path} is no file of the "
                          f"repository (bind mount)")
                continue
            with open(host_file) as f:
                try:
                    data = yaml.safe_load(f) or {}
                except yaml.YAMLError as error:
                    self.fail(f"service {service}: {host_file} is not YAML: {error}")
                    continue
            for rule in data.get("rule_files") or []:
                rule_path = rule if rule.startswith("/") else os.path.join(os.path.dirname(path), rule)
                for match in glob.glob(self.host_path(service, rule_path) or "/nonexistent"):
                    break
                else:
                    self.fail(f"service {service}: rule file {rule} is not in its mounts")
            for job in data.get("scrape_configs") or []:
                name = job.get("job_name")
                for static in job.get("static_configs") or []:
                    for target in static.get("targets") or []:
                        host, _, port = str(target).rpartition(":")
                        if port.isdigit() and host not in ("localhost", "127.0.0.1"):
                            self.check_listener(service, f"prometheus job {name} target {target}",
                                                host, int(port))
                auth = job.get("authorization") or {}
                token_file = auth.get("credentials_file")
                if token_file:
                    mount = self.mount_of(service, token_file)
                    if mount is None:
                        self.fail(f"service {service}: job {name}: credentials_file "
                                  f"{token_file} is inside no volume of the service")
                    elif mount["named"]:
                        base = os.path.basename(token_file)
                        writers = [w for w in self.services if self.one_shot(w) and any(
                            m["named"] and m["source"] == mount["source"] and not m["read_only"]
                            for m in self.mounts(w))]
                        if not any(base in self.scripts.get(w, "") for w in writers):
                            self.fail(f"service {service}: job {name}: credentials_file "
                                      f"{token_file}: no one-shot service's script writing "
                                      f"{mount['source']} names {base}")
                        elif not any(self.waits_for(service, w) for w in writers):
                            self.fail(f"service {service}: reads {token_file} but does not "
                                      f"wait for the service writing it")

    @staticmethod
    def ignored(path, patterns):
        """Docker's rule, simplified: the last pattern matching the path or a parent wins."""
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!").strip("/")
            if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
                result = not negate
        return result

    # ---- 7. keys: who gets which, and who makes them ------------------------------------
    def check_server_keys(self):
        """Each synchub server's key flags (or --insecure), then whether the gateway's
        --resolver-server-key is the public half of its resolvers' keys."""
        gateways = []
        for service in sorted(self.ours):
            for argv in self.invocations(self.services[service].get("command") or []):
                name = os.path.basename(argv[0]) if argv else ""
                if not argv or not argv[0].startswith(BIN_PREFIX) or name not in KEY_FLAGS:
                    continue
                flags = self.flag_values(argv)
                if "--insecure" in flags:
                    self.insecure.add(service)
                    continue
                for flag, suffix in KEY_FLAGS[name].items():
                    values = [v for v in flags.get(flag) or [] if v]
                    if not values:
                        self.fail(f"service {service}: {name} refuses to start without {flag} "
                                  f"FILE (or --insecure, tests only; docs/security.md)")
                        continue
                    self.check_key_file(service, f"{name} {flag}", values[0], suffix,
                                        client=flag in CLIENT_KEY_FLAGS)
                    if flag == "--curve-secret-key":
                        self.server_keys[service] = values[0]
                if name == "synchub-ingest" and flags.get("--resolver-server-key"):
                    gateways.append((service, flags))
        for service, flags in gateways:
            pub = flags["--resolver-server-key"][0]
            for value in flags.get("--resolver") or []:
                parsed = self.endpoint(value)
                if parsed:
                    self.check_server_pub(service, "--resolver-server-key", pub, parsed[0])

    def check_key_file(self, service, what, path, suffix, client=False):
        kind = "secret key" if suffix == ".key" else "server's public key"
        if not path.endswith(suffix):
            self.fail(f"service {service}: {what} {path}: a {kind} is a {suffix} file "
                      f"(synchub-keygen --out BASE writes BASE.key and BASE.pub)")
        mount = self.mount_of(service, path)
        if mount is None:
            self.fail(f"service {service}: {what} {path} is inside no volume of the service "
                      f"(the image holds no keys)")
        elif mount["named"]:
            self.key_uses.append((service, what, path, mount, client))
        else:
            host_file = mount["source"] + path[len(mount["target"]):]
            if not os.path.isfile(host_file):
                self.fail(f"service {service}: {what} {path} is {host_file}, which does not "
                          f"exist")

    def key_identity(self, service, path):
        """Where a key file really is: (volume or host folder, path inside it)."""
        mount = self.mount_of(service, path or "")
        if mount is None:
            return (None, path)
        return (mount["source"], path[len(mount["target"]):].lstrip("/"))

    def check_server_pub(self, service, what, pub, server):
        """`pub` (in `service`) must be the public half of `server`'s --curve-secret-key."""
        if server not in self.services or server not in self.ours:
            return
        if server in self.insecure:
            self.fail(f"service {service}: {what} {pub}, but {server} runs --insecure (no "
                      f"CURVE): the handshake would fail")
            return
        key = self.server_keys.get(server)
        if not key or not key.endswith(".key") or self.mount_of(service, pub) is None:
            return  # reported already
        expected = key[:-len(".key")] + ".pub"
        if self.key_identity(service, pub) != self.key_identity(server, expected):
            self.fail(f"service {service}: {what} {pub} is not the public half of {server}'s "
                      f"--curve-secret-key {key} (its {expected}): the CURVE handshake would "
                      f"fail")

    def check_connector_curve(self, service, where, data):
        servers = {}
        for key in CONNECTOR_TARGETS:
            parsed = self.endpoint(data.get(key) or "")
            if parsed and parsed[0] in self.ours:
                servers[key] = parsed[0]
        curve = data.get("curve")
        if curve is None:
            for key, server in sorted(servers.items()):
                if server not in self.insecure:
                    self.fail(f"service {service}: {where}: no \"curve\" key files, but {key} "
                              f"{server} runs CURVE: the connector would get nothing through "
                              f"(docs/security.md)")
            return
        if not isinstance(curve, dict):
            self.fail(f"service {service}: {where}: curve is not an object of three key files")
            return
        for key, (suffix, endpoint_key) in CONNECTOR_CURVE_KEYS.items():
            path = curve.get(key)
            if not path or not isinstance(path, str):
                self.fail(f"service {service}: {where}: curve.{key} is missing")
                continue
            self.check_key_file(service, f"{where} curve.{key}", path, suffix,
                                client=endpoint_key is None)
            if endpoint_key is None:
                self.source_keys.setdefault(self.key_identity(service, path), set()).add(
                    data.get("source"))
            elif endpoint_key in servers:
                self.check_server_pub(service, f"{where} curve.{key}", path,
                                      servers[endpoint_key])

    def waits_for(self, service, writer, seen=None):
        """Whether `service` starts only after `writer` completed: it depends on `writer`
        with service_completed_successfully, or on a service that does (any condition)."""
        seen = set() if seen is None else seen
        for dependency, condition in self.depends_on(self.services[service]).items():
            if dependency == writer and condition == "service_completed_successfully":
                return True
            if dependency in self.services and dependency not in seen:
                seen.add(dependency)
                if self.waits_for(dependency, writer, seen):
                    return True
        return False

    def check_key_writers(self):
        for identity, sources in sorted(self.source_keys.items(), key=str):
            if len(sources) > 1:
                self.fail(f"sources {', '.join(sorted(map(str, sources)))} share the secret key "
                          f"{identity[1]} (volume {identity[0]}): each needs its own, registered "
                          f"with its own source:NAME credential")
        for service, what, path, mount, client in self.key_uses:
            volume = mount["source"]
            writable = sorted(name for name in self.services
                              if any(m["named"] and m["source"] == volume and not m["read_only"]
                                     for m in self.mounts(name)))
            writers = [name for name in writable if self.one_shot(name)]
            for name in writable:
                if name not in writers:
                    self.fail(f"service {name}: mounts the key volume {volume} writable; mount "
                              f"it read-only (:ro): a one-shot service makes the keys")
            if not writers:
                self.fail(f"service {service}: {what} {path} is in the volume {volume}, which no "
                          f"one-shot service mounts writable: nothing makes the key")
            for writer in writers:
                if not self.waits_for(service, writer):
                    self.fail(f"service {service}: reads {path} from {volume} but does not wait "
                              f"for {writer} (depends_on: {writer}: condition: "
                              f"service_completed_successfully)")
                self.check_writer_script(service, what, path, writer, client)

    def check_writer_script(self, service, what, path, writer, client):
        script = self.scripts.get(writer)
        if script is None:
            return  # an inline command: its binaries and flags are checked, not its logic
        calls = self.script_calls.get(writer, [])
        where = f"service {writer}: its script"
        if path.endswith((".key", ".pub")) and \
                not any(name == "synchub-keygen" and "--out" in flags for name, flags in calls):
            self.fail(f"{where} makes no key pair (synchub-keygen --out BASE), but {service} "
                      f"reads {path} ({what})")
        if client and not any(name == "synchub-migrate" and
                              {"--create-credential", "--curve-public-key"} <= flags
                              for name, flags in calls):
            self.fail(f"{where} registers no public key (synchub-migrate --create-credential "
                      f"ROLE --curve-public-key Z85), but {service}'s {what} {path} must be "
                      f"registered with a credential")
        base = os.path.basename(path).rsplit(".", 1)[0]
        code = "\n".join(line for line in script.splitlines()
                         if not line.lstrip().startswith("#"))
        if not re.search(r"(?<![\w-])" + re.escape(base) + r"(?![\w-])", code):
            self.fail(f"{where} never names {base!r}, so it does not make {path} ({service}: "
                      f"{what})")

    # ---- driver -------------------------------------------------------------------------
    def run(self):
        config = self.resolved_config()
        if config is None:
            return self.report()
        self.services = config.get("services") or {}
        def builds_synchub(c):
            build = c.get("build")
            if not build:
                return False
            build = {"context": build} if isinstance(build, str) else build
            path = os.path.join(build.get("context", "."), build.get("dockerfile", "Dockerfile"))
            return os.path.abspath(path) == os.path.join(self.source_dir, SYNCHUB_DOCKERFILE)
        built_images = {c.get("image") for c in self.services.values() if builds_synchub(c)}
        self.ours = {name for name, c in self.services.items()
                     if builds_synchub(c) or c.get("image") in built_images}
        if not self.ours:
            self.fail("no service builds or runs the synchub image")
        self.index_build()
        self.check_files()  # reads the Dockerfile, which check_commands needs
        self.check_commands()
        self.record_external_listens()
        self.check_ports()
        self.check_health_and_dependencies()
        self.check_server_keys()  # before the connectors, which name the servers' keys
        self.check_connector_configs()
        self.check_key_writers()
        self.check_prebuilt()
        self.check_prometheus()
        return self.report()

    def report(self):
        if self.problems:
            self.problems = list(dict.fromkeys(self.problems))
            for problem in self.problems:
                print(f"FAIL {problem}")
            print(f"compose_check: {len(self.problems)} problem(s) in {self.compose_file}")
            return 1
        print(f"compose_check: ok: {len(self.services)} services ({len(self.ours)} on the synchub "
              f"image), binaries and flags checked against {self.build_dir}")
        return 0


def main(argv):
    if len(argv) != 3:
        print("usage: compose_check.py SOURCE_DIR BUILD_DIR", file=sys.stderr)
        return 2
    for what, path in (("source", argv[1]), ("build", argv[2])):
        if not os.path.isdir(path):
            print(f"FAIL the {what} directory {path} does not exist", file=sys.stderr)
            return 1
    return Checker(argv[1], argv[2]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
