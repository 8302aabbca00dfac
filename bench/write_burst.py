"""A burst of writes through GitHubForge against a local fake API answering after ~20 ms (issue 15 item 1).

    PYTHONPATH=<tree> python bench/write_burst.py --redis-url redis://127.0.0.1:6399/0 [--writes 5] [--rounds 7]

Prints the median wall time of `--writes` comment writes in a row (a fresh bucket each round), with the
deployment's default write settings. Run it on the tree before and after, back to back."""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LATENCY = 0.020


class FakeGitHub(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(LATENCY)
        body = json.dumps({"id": 1, "body": "x", "user": {"login": "bot"},
                           "url": "http://x/c/1", "html_url": "http://x/c/1"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    import redis

    from forges.github import GitHubForge
    from incident_desk.settings import Settings

    env = {"GITHUB_TOKEN": "ghp_bench", "GITHUB_API_URL": f"http://127.0.0.1:{server.server_port}",
           "REDIS_URL": args.redis_url, "INCIDENT_DESK_BOT_LOGIN": "bot"}
    settings = Settings.from_env(env)
    times = []
    for _ in range(args.rounds):
        redis.Redis.from_url(args.redis_url).flushdb()
        forge = GitHubForge(settings)
        time.sleep(1.1)  # the process-local throttle of the old tree forgets the previous round too
        started = time.perf_counter()
        for _ in range(args.writes):
            forge.create_comment("o/r", 1, "hello")
        times.append(time.perf_counter() - started)
    print(f"{args.writes} writes: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f}, max {max(times):.3f} over {args.rounds} rounds")
    server.shutdown()


if __name__ == "__main__":
    main()
