"""Benchmark of `veille collect` against lemon24's reader on the same synthetic feeds.

    python bench/bench_collect.py                       # 300 feeds x 20 items, 50 ms latency
    python bench/bench_collect.py --scale --repeat 1    # also 3,000 feeds
    python bench/bench_collect.py --feeds 300,3000 --items 20 --latency-ms 50 --hosts 30,1

A feed server runs in its own process (asyncio, raw HTTP/1.1 with keep-alive): RSS 2.0 feeds of
French medical news (accents, HTML descriptions, unique guids and links, realistic pubDates),
gzip when asked, ETag + Last-Modified with 304 answers, and ``--latency-ms`` of delay before every
response (304s included). The feeds are spread over ``--hosts`` loopback addresses (127.0.0.1,
127.0.0.2, ...; one row set per number given, 30 and 1 by default): veille limits requests per
host like a polite crawler (2 at first, up to 16 while the host answers fast: veille.hostlimit),
a real feed list spans many hosts, and many sources share one (YouTube, Bluesky, PubMed).

Each tool runs in its own subprocess, alternately (veille first on even repeats, reader first on
odd ones), each time on a fresh database: a first collect into the empty database, then a second
one where nothing changed (every feed answers 304). Timed from spawn to exit, so the CLI's start-up
imports count:

* veille: ``.venv/bin/veille --config feeds.yaml --db veille.db collect`` (default settings);
* reader: ``make_reader(db)``, ``add_feed(url, exist_ok=True)`` for each feed,
  ``update_feeds(workers=20, scheduled=False)`` (this file's ``--run-reader DB FEEDLIST`` mode).

Figures: median wall seconds, items/s (feeds x items / seconds, on both runs), CPU seconds (user +
sys of the process and its waited-for children), peak RSS of the largest process (wait4's
ru_maxrss) and the sampled peaks of the summed RSS and PSS over the process tree (veille parses in worker
processes), and the ratio veille/reader (goals: at most 0.5 on both runs over 30 hosts, at most
1.0 for the unchanged run on one host), with the load average beside each run. The server floor (all
feeds fetched once by one httpx client set at 20 in flight, then once more conditionally) shows
what the network part alone costs. After each run the item count in each database is checked
(feeds x items) and the server's 200/304 counts are checked; a mismatch prints a WARNING.

``--profile DIR`` runs veille under ``python -m cProfile -o DIR/veille-N-first.prof`` (main
process only: the parse workers are not profiled) instead of timing it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
READER_WORKERS = 20
GOAL = 0.5

# --- synthetic feeds -------------------------------------------------------------------------

# Vocabularies large enough that unrelated items do not look alike (the collect path clusters
# near-duplicate titles into stories): product names are built from syllables, towns and figures
# vary, and about RELAY_SHARE of the items relay a story that a few neighbouring feeds also carry,
# as agencies' announcements are relayed in real life.
RELAY_SHARE = 0.05
_PREFIXES = ["zé", "pra", "lo", "vi", "ca", "mé", "do", "ri", "ta", "flu", "cé", "ami", "oxa", "bé", "tri"]
_MIDDLES = ["no", "va", "li", "ré", "to", "xi", "pé", "mu", "sa", "dè"]
_SUFFIXES = ["faxil", "cor", "prazole", "mab", "tinib", "cilline", "statine", "zépam", "tide", "vir", "line"]
DISEASES = [
    "bronchiolite", "grippe saisonnière", "rougeole", "coqueluche", "diabète de type 2",
    "insuffisance cardiaque", "dengue", "méningite à méningocoque", "hépatite C",
    "maladie d'Alzheimer", "cancer du côlon", "sclérose en plaques", "endométriose",
    "infection à VRS", "chikungunya", "mpox", "tuberculose", "maladie de Lyme", "psoriasis",
    "insuffisance rénale chronique", "BPCO", "drépanocytose", "mélanome", "leucémie aiguë",
    "fibrillation atriale", "épilepsie", "schizophrénie", "obésité", "asthme sévère", "sepsis",
]
POPULATIONS = [
    "les nourrissons", "les personnes âgées", "les femmes enceintes", "les patients diabétiques",
    "les enfants de moins de 5 ans", "les soignants", "les patients immunodéprimés",
    "les adolescents", "les résidents d'Ehpad", "les greffés", "les sportifs", "les voyageurs",
]
TOWNS = [
    "Lyon", "Marseille", "Lille", "Toulouse", "Nantes", "Besançon", "Clermont-Ferrand", "Rennes",
    "Strasbourg", "Grenoble", "Saint-Étienne", "Nîmes", "Orléans", "Pointe-à-Pitre", "Amiens",
    "Limoges", "Poitiers", "Brest", "Caen", "Angers", "Dijon", "Reims", "Rouen", "Metz", "Nancy",
    "Tours", "Perpignan", "Montpellier", "Bordeaux", "Cayenne", "Saint-Denis", "Ajaccio", "Pau",
    "Bayonne", "Valence", "Chambéry", "Annecy", "Troyes", "Vannes", "Quimper", "Béziers", "Évry",
]
SPECIALTIES = [
    "cardiologie", "pédiatrie", "gériatrie", "pneumologie", "néphrologie", "dermatologie",
    "médecine générale", "gynécologie-obstétrique", "psychiatrie", "oncologie", "neurologie",
    "rhumatologie", "infectiologie", "endocrinologie", "urologie", "ophtalmologie",
]
DEFECTS = ["dissolution", "étiquetage", "stérilité", "dosage", "contamination particulaire",
           "bouchon défectueux", "notice erronée", "impureté nitrosamine"]
AGENCIES = ["l'ANSM", "la HAS", "Santé publique France", "l'EMA", "la DGS", "l'Inserm", "l'ARS",
            "l'Académie de médecine", "le CNOM", "l'Assurance maladie"]
TOPICS = [
    "rappel de lots", "tension d'approvisionnement", "essai de phase III", "nouvelle recommandation",
    "dépistage organisé", "téléconsultation", "remboursement", "campagne de vaccination",
    "effets indésirables graves", "antibiorésistance", "soins palliatifs", "santé mentale",
    "saturation des urgences", "désert médical", "autorisation européenne", "alerte sanitaire",
    "cas groupés", "méta-analyse", "surveillance renforcée", "fermeture de lits",
    "parcours de soins", "prévention", "intelligence artificielle", "greffe", "chirurgie ambulatoire",
    "prise en charge précoce", "médicament biosimilaire", "pharmacovigilance", "cohorte nationale",
    "financement", "pénurie d'infirmiers", "étude observationnelle", "rapport annuel",
]
JOINS = [" chez ", " à ", " et ", " dans ", " face à ", " pour ", " après ", " selon "]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
PARAGRAPHS = [
    "Par mesure de précaution, {agency} demande le rappel de <strong>{drug} {dose} mg</strong> "
    "(lot n° {lot}) après la détection d'un défaut : {defect}.",
    "Les données de surveillance montrent une hausse des cas de {disease} autour de {town}, "
    "en particulier chez {population} ({count} signalements).",
    "Les professionnels de santé sont invités à <em>signaler</em> tout effet indésirable "
    "sur le portail dédié&nbsp;; les patients ne doivent pas interrompre leur traitement "
    "sans avis médical.",
    "Selon l'étude {acronym}, publiée cette semaine, le bénéfice observé reste modeste (risque "
    "relatif 0,{pct}) et doit être confirmé par un essai randomisé.",
    "La Société française de {specialty} rappelle l'importance du dépistage précoce et de la "
    "coordination ville-hôpital à {town}.",
]


def _drug(rng: random.Random) -> str:
    name = rng.choice(_PREFIXES) + rng.choice(_MIDDLES) + rng.choice(_SUFFIXES)
    return name.capitalize() if rng.random() < 0.5 else name


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        drug=_drug(rng), dose=rng.choice([5, 10, 20, 25, 40, 50, 100, 250, 500, 1000]),
        disease=rng.choice(DISEASES), population=rng.choice(POPULATIONS), town=rng.choice(TOWNS),
        specialty=rng.choice(SPECIALTIES), defect=rng.choice(DEFECTS), agency=rng.choice(AGENCIES),
        month=rng.choice(MONTHS), pct=rng.randint(12, 97), count=rng.randint(3, 480),
        lot=rng.randint(10_000, 99_999), phase=rng.choice(["II", "III"]), smr=rng.choice(["important", "modéré", "faible"]),
        acronym="".join(rng.choice("ABCDEFGHIKLMNPRSTV") for _ in range(rng.randint(4, 7))),
    )


def _phrase(rng: random.Random, kind: int) -> str:
    if kind == 0:
        return f"{_drug(rng)} {rng.choice([5, 10, 20, 25, 40, 50, 100, 250, 500, 1000])} mg"
    if kind == 1:
        return rng.choice(DISEASES)
    if kind == 2:
        return rng.choice(POPULATIONS)
    if kind == 3:
        return rng.choice(TOWNS)
    if kind == 4:
        return rng.choice(AGENCIES)
    return f"{rng.randint(3, 480)} {rng.choice(['cas', 'patients', 'lots', 'centres', 'médecins'])}"


def _title(rng: random.Random) -> str:
    kinds = rng.sample(range(6), 3)  # three different kinds of phrase, so titles rarely share much
    first, second, third = (_phrase(rng, k) for k in kinds)
    return (f"{first}{rng.choice(JOINS)}{second} : {rng.choice(TOPICS)}{rng.choice(JOINS)}{third}"
            f" ({rng.choice(SPECIALTIES)}, {rng.choice(MONTHS)} {rng.choice([2025, 2026])})")


def _headline(index: int, rng: random.Random) -> str:
    if rng.random() < RELAY_SHARE:  # one of 5 stories shared by feeds 10k..10k+9
        text = _title(random.Random(f"relay-{index // 10}-{rng.randrange(5)}"))
    else:
        text = _title(rng)
    return text[0].upper() + text[1:]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def _rfc822(ts: float, paris: bool) -> str:
    if not paris:
        return email.utils.formatdate(ts, usegmt=True)
    moment = datetime.fromtimestamp(ts, timezone(timedelta(hours=1)))
    return email.utils.format_datetime(moment)  # e.g. 'Tue, 02 Dec 2025 09:30:00 +0100'


def make_feed(index: int, items: int, now: float) -> bytes:
    """One RSS 2.0 document; deterministic for (index, items) except for the dates."""
    rng = random.Random(index)
    site = f"www.sante-{index % 97:02d}.example.fr"
    title = f"{rng.choice(['Actualités', 'Alertes', 'Publications', 'Dépêches'])} {rng.choice(SPECIALTIES)} n° {index}"
    cdata = index % 2 == 0  # half the feeds put HTML in CDATA, half escape it
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        f"<link>https://{site}/</link>",
        f"<description>Veille {escape(rng.choice(SPECIALTIES))} — flux d'actualités</description>",
        "<language>fr-FR</language>",
        f"<lastBuildDate>{email.utils.formatdate(now, usegmt=True)}</lastBuildDate>",
    ]
    moment = now - rng.randint(600, 7200)
    for i in range(items):
        headline = _headline(index, rng)
        link = f"https://{site}/actualites/{index}/{_slug(headline)}-{i}"
        paras = [_fill(p, rng) for p in rng.sample(PARAGRAPHS, 3)]
        html = "".join(f"<p>{p}</p>" for p in paras) + (
            f'<p><img src="https://{site}/img/{index}-{i}.jpg" alt="illustration" width="300"/> '
            f'Référence {index}-{i}. <a href="{link}?utm_source=rss&amp;utm_medium=feed">Lire la '
            "suite</a> &amp; consulter la fiche.</p>"
        )
        description = f"<![CDATA[{html}]]>" if cdata else escape(html)
        out += [
            "<item>",
            f"<title>{escape(headline)}</title>",
            f"<link>{escape(link)}</link>",
            f'<guid isPermaLink="false">urn:bench:{index}:{i}</guid>',
            f"<pubDate>{_rfc822(moment, paris=index % 3 == 0)}</pubDate>",
            f"<dc:creator>{escape(rng.choice(['Rédaction', 'Dr Hélène Lefèvre', 'Agnès Müller']))}</dc:creator>",
            f"<category>{escape(rng.choice(SPECIALTIES))}</category>",
            f"<description>{description}</description>",
            "</item>",
        ]
        moment -= rng.randint(1800, 86400)
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


# --- the feed server (its own process) -------------------------------------------------------

@dataclass
class _Doc:
    body: bytes
    gz: bytes
    etag: str
    last_modified: str
    modified_ts: float


@dataclass
class _ServerState:
    docs: list[_Doc]
    latency: float
    counts: dict[int, int] = field(default_factory=dict)


def _response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", f"Date: {email.utils.formatdate(usegmt=True)}", "Server: veille-bench"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


_PATH = re.compile(r"^/feeds/(\d+)\.xml$")


def _answer(state: _ServerState, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    m = _PATH.match(path.split("?", 1)[0])
    if not m or int(m.group(1)) >= len(state.docs):
        return 404, _response(404, "Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")], b"not found")
    doc = state.docs[int(m.group(1))]
    validators = [("ETag", doc.etag), ("Last-Modified", doc.last_modified), ("Cache-Control", "max-age=300")]
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        if doc.etag in tags or "*" in tags:
            return 304, _response(304, "Not Modified", validators)
    elif "if-modified-since" in headers:
        try:
            since = email.utils.parsedate_to_datetime(headers["if-modified-since"]).timestamp()
        except (TypeError, ValueError, IndexError):
            since = None
        if since is not None and int(doc.modified_ts) <= since:
            return 304, _response(304, "Not Modified", validators)
    gz = "gzip" in headers.get("accept-encoding", "")
    body = doc.gz if gz else doc.body
    extra = [("Content-Encoding", "gzip")] if gz else []
    return 200, _response(
        200, "OK",
        [("Content-Type", "application/rss+xml; charset=utf-8"), ("Content-Length", str(len(body))),
         ("Vary", "Accept-Encoding"), *validators, *extra],
        body,
    )


async def _handle(state: _ServerState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
            if path.startswith("/_stats"):
                body = json.dumps({str(k): v for k, v in state.counts.items()}).encode()
                if "reset" in path:
                    state.counts.clear()
                writer.write(_response(200, "OK", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(body)))], body))
            else:
                await asyncio.sleep(state.latency)
                status, data = _answer(state, path, headers)
                state.counts[status] = state.counts.get(status, 0) + 1
                writer.write(data if method != "HEAD" else data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
            await writer.drain()
            if headers.get("connection", "").lower() == "close" or version.strip() == "HTTP/1.0":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve(feeds: int, items: int, latency: float, hosts: int) -> None:
    now = time.time()
    docs = []
    for i in range(feeds):
        body = make_feed(i, items, now)
        modified = now - 3600 - i
        docs.append(_Doc(
            body=body, gz=gzip.compress(body, 6), etag=f'"{hashlib.md5(body).hexdigest()[:16]}"',
            last_modified=email.utils.formatdate(modified, usegmt=True), modified_ts=modified,
        ))
    state = _ServerState(docs=docs, latency=latency)
    servers, addresses = [], []
    for h in range(hosts):
        host = f"127.0.0.{h + 1}"
        server = await asyncio.start_server(lambda r, w: _handle(state, r, w), host, 0, backlog=4096)
        servers.append(server)
        addresses.append((host, server.sockets[0].getsockname()[1]))
    print(json.dumps({"addresses": addresses}), flush=True)
    done = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    # The parent closes our stdin to stop us (or dies, which closes it too).
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set_result, None)),
                     daemon=True).start()
    await done
    for server in servers:
        server.close()


class FeedServer:
    """Parent-side handle on the server process."""

    def __init__(self, feeds: int, items: int, latency: float, hosts: int):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--feeds", str(feeds), "--items", str(items),
             "--latency-ms", str(latency * 1000), "--hosts", str(hosts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the feed server did not start")
        self.addresses = [tuple(a) for a in json.loads(line)["addresses"]]

    def urls(self, n: int, hosts: int | None = None) -> list[str]:
        """``n`` feed URLs spread over the first ``hosts`` addresses (all by default)."""
        addresses = self.addresses[: hosts or len(self.addresses)]
        out = []
        for i in range(n):
            host, port = addresses[i % len(addresses)]
            out.append(f"http://{host}:{port}/feeds/{i:05d}.xml")
        return out

    def stats(self, reset: bool = True) -> dict[int, int]:
        host, port = self.addresses[0]
        url = f"http://{host}:{port}/_stats" + ("?reset=1" if reset else "")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as r:
            return {int(k): v for k, v in json.loads(r.read()).items()}

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the floor: the server alone --------------------------------------------------------------

def measure_floor(urls: list[str], concurrency: int = 20) -> tuple[float, float]:
    """Seconds to GET every feed once (20 in flight, gzip), then once more with If-None-Match."""
    import httpx

    async def run() -> tuple[float, float]:
        clients = [
            httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_connections=5, max_keepalive_connections=5))
            for _ in range(concurrency // 5)
        ]
        gate = asyncio.Semaphore(concurrency)
        etags: dict[str, str] = {}

        async def get(i: int, url: str, conditional: bool) -> None:
            headers = {"If-None-Match": etags[url]} if conditional and url in etags else {}
            async with gate:
                r = await clients[i % len(clients)].get(url, headers=headers)
                await r.aread()
                if r.headers.get("etag"):
                    etags[url] = r.headers["etag"]

        times = []
        for conditional in (False, True):
            t0 = time.perf_counter()
            await asyncio.gather(*(get(i, u, conditional) for i, u in enumerate(urls)))
            times.append(time.perf_counter() - t0)
        for c in clients:
            await c.aclose()
        return times[0], times[1]

    return asyncio.run(run())


def measure_raw_floor(urls: list[str], concurrency: int = 20) -> float:
    """Seconds to GET every feed once over 20 keep-alive connections with a minimal asyncio
    client: what the server itself sustains (should be close to feeds x latency / 20)."""

    async def worker(queue: asyncio.Queue) -> None:
        conns: dict[tuple[str, int], tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        while not queue.empty():
            url = queue.get_nowait()
            host, _, rest = url.removeprefix("http://").partition(":")
            port_text, _, path = rest.partition("/")
            key = (host, int(port_text))
            if key not in conns:
                conns[key] = await asyncio.open_connection(*key)
            reader, writer = conns[key]
            writer.write(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
        for _, writer in conns.values():
            writer.close()

    async def run() -> float:
        queue: asyncio.Queue = asyncio.Queue()
        for url in urls:
            queue.put_nowait(url)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(queue) for _ in range(concurrency)))
        return time.perf_counter() - t0

    return asyncio.run(run())


# --- running a tool in a subprocess -----------------------------------------------------------

@dataclass
class Run:
    wall: float
    cpu: float
    maxrss_mb: float  # largest single process (wait4 ru_maxrss, includes waited-for children)
    tree_mb: float  # sampled peak of the summed RSS of the process tree
    pss_mb: float  # sampled peak of the summed PSS (shared pages counted once) of the process tree
    rc: int
    stdout: str
    stderr: str
    pss_parts: str = ""  # each process's PSS (MB) at the tree's PSS peak, the tool's process first


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _tree_memory(pid: int, parts: list[int] | None = None) -> tuple[int, int]:
    """Summed RSS and summed PSS of the process tree, in bytes. RSS counts a page shared by the
    parse workers and the main process once per process; PSS divides it among them, so the sum
    is what the tree really occupies (0 where smaps_rollup is missing). ``parts`` receives each
    process's PSS, the main process first."""
    rss = pss = 0
    todo, page = [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop(0)
        try:
            with open(f"/proc/{p}/statm") as f:
                rss += int(f.read().split()[1]) * page
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        own = int(line.split()[1]) * 1024
                        pss += own
                        if parts is not None:
                            parts.append(own)
                        break
        except OSError:
            continue
        todo += _children(p)
    return rss, pss


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child(cmd: list[str], workdir: Path) -> Run:
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=_child_env())
        peak = peak_pss = 0
        peak_parts: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_pss, peak_parts
            while not stop.is_set():
                parts: list[int] = []
                rss, pss = _tree_memory(proc.pid, parts)
                peak = max(peak, rss)
                if pss > peak_pss:
                    peak_pss, peak_parts = pss, parts
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_mb=usage.ru_maxrss / 1024,
        tree_mb=max(peak, usage.ru_maxrss * 1024) / 2**20,
        pss_mb=peak_pss / 2**20,
        pss_parts=" + ".join(f"{p / 2**20:.0f}" for p in peak_parts),
        rc=proc.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def write_config(path: Path, urls: list[str]) -> None:
    lines = ["# veille bench: synthetic feeds", "sources:"]
    for i, url in enumerate(urls):
        lines += [f"  - id: bench-{i:05d}", f"    name: Flux de test n° {i}", f"    url: {url}",
                  "    tier: press", "    lang: fr"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def veille_cmd(config: Path, db: Path, profile: Path | None) -> list[str]:
    exe = VENV_BIN / "veille"
    veille = str(exe) if exe.exists() else (shutil.which("veille") or "veille")
    args = ["--config", str(config), "--db", str(db), "collect"]
    if profile is not None:
        return [sys.executable, "-m", "cProfile", "-o", str(profile), veille, *args]
    return [veille, *args]


def reader_cmd(db: Path, feedlist: Path) -> list[str]:
    return [sys.executable, __file__, "--run-reader", str(db), str(feedlist)]


def run_reader(db: str, feedlist: str) -> None:
    """Child mode: one reader update of every feed in FEEDLIST, timings as JSON on stdout."""
    t0 = time.perf_counter()
    try:
        import sgmllib  # noqa: F401 - reader's vendored feedparser imports it
    except ImportError:
        # This venv has feedparser 6.0.14's renamed copy (feedparser_sgmllib) but not the
        # sgmllib3k distribution reader's vendored feedparser asks for: same module, other name.
        import feedparser_sgmllib

        sys.modules["sgmllib"] = feedparser_sgmllib
    from reader import make_reader

    imported = time.perf_counter()
    reader = make_reader(db)
    urls = Path(feedlist).read_text().split()
    with reader:
        for url in urls:
            reader.add_feed(url, exist_ok=True)
        added = time.perf_counter()
        reader.update_feeds(workers=READER_WORKERS, scheduled=False)
        updated = time.perf_counter()
        broken = reader.get_feed_counts(broken=True).total
    print(json.dumps({
        "import_s": imported - t0, "add_s": added - imported, "update_s": updated - added,
        "broken": broken,
    }))


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    finally:
        conn.close()


_SUMMARY = re.compile(r"(\d+) sources: (\d+) new items, (\d+) unchanged, (\d+) errors in ([\d.]+) s")


def check(tool: str, which: str, n: int, items: int, run: Run, db: Path, stats: dict[int, int]) -> dict:
    """Warnings for anything that is not a clean run; returns details for the report."""
    details: dict = {}
    if run.rc != 0:
        print(f"WARNING: {tool} {which} run exited {run.rc}: {run.stderr.strip()[-500:]}")
    expect = {200: n} if which == "first" else {304: n}
    if stats != expect:
        print(f"WARNING: {tool} {which} run, {n} feeds: server answered {stats}, expected {expect}")
    if tool == "veille":
        m = _SUMMARY.search(run.stdout)
        if m is None:
            print(f"WARNING: veille {which} run printed no summary line")
        else:
            details["inner_s"] = float(m.group(5))
            if int(m.group(4)):
                errors = [line for line in run.stdout.splitlines() if "ERROR" in line][:3]
                print(f"WARNING: veille {which} run: {m.group(4)} sources failed, e.g. {errors}")
        table = "items"
    else:
        try:
            info = json.loads(run.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            info = {}
            print(f"WARNING: reader {which} run printed no timings: {run.stderr.strip()[-500:]}")
        details.update(info)
        if info.get("broken"):
            print(f"WARNING: reader {which} run: {info['broken']} feeds broken")
        table = "entries"
    got = count(db, table) if db.exists() else 0
    if got != n * items:
        print(f"WARNING: {tool} {which} run, {n} feeds: {got} {table} in the database, expected {n * items}")
    return details


# --- main ------------------------------------------------------------------------------------

def _fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", default="300", help="comma-separated feed counts (default 300)")
    parser.add_argument("--scale", action="store_true", help="also run 3,000 feeds")
    parser.add_argument("--items", type=int, default=20, help="items per feed (default 20)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="server delay per response (default 50)")
    parser.add_argument("--hosts", default="30,1",
                        help="comma-separated numbers of loopback addresses the feeds are spread over, "
                             "one table row set each (default 30,1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool, median reported (default 3)")
    parser.add_argument("--tools", default="veille,reader", help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, help="run veille under cProfile, write .prof files here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-reader", nargs=2, metavar=("DB", "FEEDLIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run_reader:
        run_reader(*args.run_reader)
        return
    sizes = sorted({int(x) for x in args.feeds.split(",") if x.strip()} | ({3000} if args.scale else set()))
    host_counts = [int(x) for x in args.hosts.split(",") if x.strip()]
    if args.serve:
        asyncio.run(_serve(max(sizes), args.items, args.latency_ms / 1000, max(host_counts)))
        return
    if not host_counts or not all(1 <= h <= 250 for h in host_counts):
        parser.error("--hosts must be numbers between 1 and 250")
    tools = [t for t in args.tools.split(",") if t in ("veille", "reader")]
    latency = args.latency_ms / 1000

    compile_veille()
    print(f"veille collect vs reader {_reader_version()}: feeds {sizes}, {args.items} items each, "
          f"{args.latency_ms:g} ms latency, hosts {host_counts}, repeat {args.repeat}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {_load()}")
    t0 = time.perf_counter()
    server = FeedServer(max(sizes), args.items, latency, max(host_counts))
    print(f"server: {max(sizes)} feeds generated and served in {time.perf_counter() - t0:.1f} s "
          f"(≈{len(make_feed(0, args.items, time.time())) / 1024:.0f} KB per feed, gzip when asked)")
    tmp = Path(tempfile.mkdtemp(prefix="veille-bench-"))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, str, int, int], list[Run]] = {}
    details: dict[tuple[str, str, int, int], list[dict]] = {}
    floors: dict[tuple[int, int], tuple[float, float]] = {}
    try:
        for n, hosts in [(n, h) for n in sizes for h in host_counts]:
            urls = server.urls(n, hosts)
            server.stats()
            raw = measure_raw_floor(urls)
            floors[(n, hosts)] = measure_floor(urls)
            server.stats()
            theory = n * latency / 20
            print(f"floor, {n} feeds on {hosts} hosts: raw asyncio client {raw:.2f} s (the server alone; ideal "
                  f"{theory:.2f} s = {n} x {args.latency_ms:g} ms / 20); httpx at 20 in flight "
                  f"{floors[(n, hosts)][0]:.2f} s full, {floors[(n, hosts)][1]:.2f} s conditional (304)")
            for rep in range(args.repeat):
                order = tools if rep % 2 == 0 else tools[::-1]
                for tool in order:
                    work = tmp / f"{tool}-{n}-{hosts}-{rep}"
                    work.mkdir()
                    if tool == "veille":
                        config, db = work / "feeds.yaml", work / "veille.db"
                        write_config(config, urls)
                    else:
                        feedlist, db = work / "feeds.txt", work / "reader.db"
                        feedlist.write_text("\n".join(urls) + "\n")
                    for which in ("first", "second"):
                        if tool == "veille":
                            prof = args.profile / f"veille-{n}-{hosts}-{which}-{rep}.prof" if args.profile else None
                            cmd = veille_cmd(config, db, prof)
                        else:
                            cmd = reader_cmd(db, feedlist)
                        run = run_child(cmd, work)
                        info = check(tool, which, n, args.items, run, db, server.stats())
                        results.setdefault((tool, which, n, hosts), []).append(run)
                        details.setdefault((tool, which, n, hosts), []).append(info)
                        print(f"  repeat {rep + 1}: {tool:6} {which:6} {n:5} feeds {hosts:3} hosts {run.wall:7.2f} s "
                              f"cpu {run.cpu:6.2f} s  rss {run.maxrss_mb:5.0f} MB (tree {run.tree_mb:4.0f} MB, pss {run.pss_mb:4.0f} MB = {run.pss_parts})  "
                              f"load {_load()}", flush=True)
    finally:
        server.close()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    report(results, details, floors, sizes, host_counts, args.items)
    print(f"load at the end: {_load()}")


def compile_veille() -> None:
    """Write veille's bytecode before timing it, as a user's first run does: reader's modules
    come compiled from their wheel, while an editable checkout has none, and a shell with
    PYTHONDONTWRITEBYTECODE set (the children inherit it) would compile veille from source on
    every run (a quarter of a second of an unchanged collect)."""
    import compileall

    compileall.compile_dir(str(ROOT / "veille"), quiet=1)


def _load() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _reader_version() -> str:
    try:
        from importlib.metadata import version

        return version("reader")
    except Exception:  # noqa: BLE001 - only for the header line
        return "?"


def report(
    results: dict[tuple[str, str, int, int], list[Run]],
    details: dict[tuple[str, str, int, int], list[dict]],
    floors: dict[tuple[int, int], tuple[float, float]],
    sizes: list[int],
    host_counts: list[int],
    items: int,
) -> None:
    def med(key: tuple[str, str, int, int], attr: str) -> float | None:
        runs = results.get(key)
        return statistics.median(getattr(r, attr) for r in runs) if runs else None

    def med_detail(key: tuple[str, str, int, int], name: str) -> float | None:
        values = [d[name] for d in details.get(key, []) if name in d]
        return statistics.median(values) if values else None

    def span(key: tuple[str, str, int, int]) -> str:
        runs = results.get(key) or []
        walls = [r.wall for r in runs]
        return f"{min(walls):.2f}-{max(walls):.2f}" if len(walls) > 1 else ""

    print()
    header = (f"{'tool':7} {'run':7} {'feeds':>6} {'hosts':>5} {'seconds':>8} {'range':>11} {'items/s':>8} "
              f"{'cpu s':>7} {'inner s':>8} {'RSS MB':>7} {'tree MB':>8} {'PSS MB':>7} {'veille/reader':>14}")
    print(header)
    print("-" * len(header))
    ratios: dict[tuple[str, int, int], float] = {}
    for n in sizes:
        for hosts in host_counts:
            for which in ("first", "second"):
                for tool in ("veille", "reader"):
                    key = (tool, which, n, hosts)
                    wall = med(key, "wall")
                    if wall is None:
                        continue
                    ratio = None
                    reader_wall = med(("reader", which, n, hosts), "wall")
                    if tool == "veille" and reader_wall:
                        ratio = wall / reader_wall
                        ratios[(which, n, hosts)] = ratio
                    inner = med_detail(key, "inner_s") if tool == "veille" else med_detail(key, "update_s")
                    print(f"{tool:7} {which:7} {n:6} {hosts:5} {wall:8.2f} {span(key):>11} {n * items / wall:8.0f} "
                          f"{med(key, 'cpu'):7.2f} {'' if inner is None else f'{inner:.2f}':>8} "
                          f"{med(key, 'maxrss_mb'):7.0f} {med(key, 'tree_mb'):8.0f} {med(key, 'pss_mb'):7.0f} {_fmt_ratio(ratio):>14}")
            full, cond = floors[(n, hosts)]
            print(f"{'floor':7} {'first':7} {n:6} {hosts:5} {full:8.2f} {'':>11} {n * items / full:8.0f}")
            print(f"{'floor':7} {'second':7} {n:6} {hosts:5} {cond:8.2f} {'':>11} {n * items / cond:8.0f}")
    print()
    print("seconds: median wall time from spawn to exit (range: fastest-slowest run); items/s: feeds x")
    print("items / seconds (both runs); cpu s: user+sys of the tool and its waited-for children; inner s:")
    print("veille's own 'in X s', reader's update_feeds() alone; RSS MB: peak of the largest process;")
    print("tree MB: sampled peak of the summed RSS of the process tree (a page shared by several processes")
    print("counts once per process); PSS MB: the same with each shared page divided among its processes,")
    print("what the tree really occupies; floor: httpx alone at 20 in flight.")
    print("second: the unchanged run (every feed answers 304).")
    add = [med_detail(("reader", w, n, h), "add_s") for n in sizes for h in host_counts for w in ("first", "second")]
    if any(a is not None for a in add):
        print("reader add_feed(exist_ok=True) time inside its runs (s): "
              + ", ".join(f"{a:.2f}" for a in add if a is not None))
    print()
    for (which, n, hosts), ratio in sorted(ratios.items(), key=lambda kv: (kv[0][1], -kv[0][2], kv[0][0])):
        # Over many hosts, both runs at most half of reader's time; on one host, where veille
        # stays polite (veille.hostlimit), the unchanged run at most reader's time.
        goal = GOAL if hosts > 1 else (1.0 if which == "second" else None)
        if goal is None:
            print(f"veille/reader: {n} feeds, {hosts} host, {which} run: {ratio:.2f} (no goal)")
            continue
        verdict = "OK" if ratio <= goal else "MISSED"
        print(f"goal veille/reader <= {goal}: {n} feeds, {hosts} hosts, {which} run: {ratio:.2f} {verdict}")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for hosts in host_counts:
            print()
            print(f"growth {small} -> {large} feeds (x{large / small:g}), {hosts} hosts:")
            for tool in ("veille", "reader"):
                for which in ("first", "second"):
                    a, b = med((tool, which, small, hosts), "wall"), med((tool, which, large, hosts), "wall")
                    if a and b:
                        ma, mb = med((tool, which, small, hosts), "tree_mb"), med((tool, which, large, hosts), "tree_mb")
                        pa, pb = med((tool, which, small, hosts), "pss_mb"), med((tool, which, large, hosts), "pss_mb")
                        print(f"  {tool:6} {which:6}: {a:.2f} s -> {b:.2f} s (x{b / a:.1f}; "
                              f"{a / small * 1000:.1f} -> {b / large * 1000:.1f} ms per feed); "
                              f"tree {ma:.0f} -> {mb:.0f} MB, PSS {pa:.0f} -> {pb:.0f} MB")
            fa, fb = floors[(small, hosts)][0], floors[(large, hosts)][0]
            print(f"  floor  first : {fa:.2f} s -> {fb:.2f} s (x{fb / fa:.1f})")


if __name__ == "__main__":
    main()
