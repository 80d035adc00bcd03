#!/usr/bin/env python3
"""Bounded load on research serve-model: CLIENTS threads on loopback, each with its own keep-alive
connection, send POST /v1/chat/completions one after another (a test question each, from a FlashRAG
QA file) until REQUESTS have been sent in all or DEADLINE seconds have passed. Prints one JSON line:
requests, failed, wall seconds, requests/s, completion tokens/s (usage.completion_tokens summed over
the replies; for the agent model they include the passages the server inserted), and latency
percentiles. Standard library only.

  serve_load.py --port 8001 --model demo --clients 32 --requests 96 --questions test.jsonl
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", required=True, help="served model name (NAME-agent runs the search agent)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, required=True, help="requests in all (the bound)")
    ap.add_argument("--deadline", type=float, default=300, help="seconds; no request starts after it")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--questions", required=True, help="FlashRAG QA JSONL (question per line)")
    ap.add_argument("--offset", type=int, default=0, help="first question to use")
    args = ap.parse_args()
    if args.clients < 1 or args.requests < 1:
        sys.exit("need --clients >= 1 and --requests >= 1")

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f if line.strip()]
    if not questions:
        sys.exit(f"no questions in {args.questions}")

    lock = threading.Lock()
    state = {"next": 0, "failed": 0, "tokens": 0, "errors": []}
    latencies = []
    start = time.monotonic()
    stop_at = start + args.deadline

    def take():
        with lock:
            if state["next"] >= args.requests or time.monotonic() > stop_at:
                return None
            i = state["next"]
            state["next"] += 1
            return i

    def client():
        conn = http.client.HTTPConnection(args.host, args.port, timeout=args.deadline)
        while (i := take()) is not None:
            q = questions[(args.offset + i) % len(questions)]
            body = json.dumps({"model": args.model, "max_tokens": args.max_tokens,
                               "temperature": args.temperature, "seed": i,
                               "messages": [{"role": "user", "content": q}]})
            t = time.monotonic()
            try:
                conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {data[:200]!r}")
                tokens = json.loads(data)["usage"]["completion_tokens"]
                with lock:
                    latencies.append(time.monotonic() - t)
                    state["tokens"] += tokens
            except Exception as e:  # counted and reported, the run goes on
                conn.close()
                conn = http.client.HTTPConnection(args.host, args.port, timeout=args.deadline)
                with lock:
                    state["failed"] += 1
                    if len(state["errors"]) < 3:
                        state["errors"].append(str(e))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    done = len(latencies)
    lat = sorted(latencies)
    out = {
        "model": args.model, "clients": args.clients, "requests": done, "failed": state["failed"],
        "max_tokens": args.max_tokens, "wall_s": round(wall, 3),
        "requests_per_s": round(done / wall, 3), "completion_tokens": state["tokens"],
        "tokens_per_s": round(state["tokens"] / wall, 1),
        "latency_p50_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p99_s": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))], 3) if lat else None,
    }
    if state["errors"]:
        out["errors"] = state["errors"]
    print(json.dumps(out))
    sys.exit(1 if state["failed"] else 0)


if __name__ == "__main__":
    main()
