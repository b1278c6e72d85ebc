#!/usr/bin/env python3
"""A checking proxy in front of s3rver for the integration tests.

s3rver is a usable S3 stand-in, but it does not check SigV4 signatures,
ignores Content-MD5, accepts undersized multipart parts and has no
ListMultipartUploads/AbortMultipartUpload. This proxy does what it does not:

- recomputes every request's SigV4 signature with botocore (Debian's
  python3-botocore) from the headers the request says it signed, and answers
  403 SignatureDoesNotMatch on a mismatch;
- checks x-amz-content-sha256 (unless UNSIGNED-PAYLOAD) and Content-MD5
  against the body (400 XAmzContentSHA256Mismatch / BadDigest);
- records multipart part sizes and refuses CompleteMultipartUpload when a part
  but the last is under 5 MiB (400 EntityTooSmall);
- answers ListMultipartUploads (in pages of --uploads-page, default 1000, as
  S3 does) and AbortMultipartUpload itself from the uploads it saw begin and
  not complete;
- rewrites virtual-host requests (Host: <bucket>.<host>) to path style;
- injects failures: a line "503 N [S]" or "slowdown N [S]" in the --faults
  file makes the N requests after the next S fail that way; a fourth field M
  counts only the requests whose path and query contain M ("partNumber=");
- logs "METHOD HOST PATH?QUERY STATUS" per request to --log, and "part N of
  KEY: SIZE bytes" per multipart part received;
- serves TLS with --cert/--key.

Usage: checking_proxy.py --port P --upstream-port U --secret S [--faults F]
       [--log L] [--cert C --key K] [--port-file F] [--uploads-page N]
"""

import argparse
import base64
import hashlib
import http.client
import http.server
import re
import socketserver
import ssl
import sys
import threading
import urllib.parse

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MIN_PART = 5 * 1024 * 1024
AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.uploads = {}  # upload id -> (key, {part number: size})

    def take_fault(self, target):
        if not self.args.faults:
            return None
        with self.lock:
            try:
                with open(self.args.faults) as f:
                    line = f.read().split()
            except FileNotFoundError:
                return None
            if len(line) not in (2, 3, 4) or int(line[1]) <= 0:
                return None
            kind, count = line[0], int(line[1])
            skip = int(line[2]) if len(line) >= 3 else 0
            match = line[3] if len(line) == 4 else ""
            if match not in target:
                return None
            with open(self.args.faults, "w") as f:
                if skip > 0:
                    f.write(f"{kind} {count} {skip - 1} {match}\n")
                else:
                    f.write(f"{kind} {count - 1} 0 {match}\n")
            return kind if skip == 0 else None

    def log(self, text):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(text + "\n")


def xml_error(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        # Logged before the client can see the answer: a test that reads the
        # log once the tool has exited finds every request in it.
        self.state.log(f"{self.command} {self.headers.get('Host')} {self.path} {status}")
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return True  # handled: multipart() callers must not forward the request too

    def signature_problem(self, body):
        auth = self.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            return "no SigV4 Authorization header"
        key_id, date, region, signed, signature = m.groups()
        amz_date = self.headers.get("x-amz-date", "")
        if not amz_date.startswith(date):
            return "x-amz-date does not match the credential scope"
        payload = self.headers.get("x-amz-content-sha256")
        if payload is None:
            return "no x-amz-content-sha256 header"
        if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
            return "XAmzContentSHA256Mismatch"
        headers = {}
        for name in signed.split(";"):
            value = self.headers.get(name)
            if value is None:
                return f"signed header {name} missing"
            headers[name] = value
        scheme = "https" if self.state.args.cert else "http"
        request = AWSRequest(method=self.command, url=f"{scheme}://{self.headers['Host']}{self.path}",
                             headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(key_id, self.state.args.secret), "s3", region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return None if expected == signature else "SignatureDoesNotMatch"

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.state.take_fault(self.path)
        if fault == "503":
            return self.reply(503, xml_error("ServiceUnavailable", "injected"))
        if fault == "slowdown":
            return self.reply(503, xml_error("SlowDown", "Please reduce your request rate."))
        problem = self.signature_problem(body)
        if problem == "XAmzContentSHA256Mismatch":
            return self.reply(400, xml_error(problem, "payload hash mismatch"))
        if problem:
            self.state.log(f"refused: {problem}")
            return self.reply(403, xml_error("SignatureDoesNotMatch", problem))
        md5 = self.headers.get("Content-MD5")
        if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
            return self.reply(400, xml_error("BadDigest", "Content-MD5 mismatch"))
        path, _, query = self.path.partition("?")
        host = self.headers["Host"].split(":")[0]
        bucket = self.state.args.bucket
        if host.startswith(bucket + "."):
            path = "/" + bucket + path  # virtual host -> path style
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        handled = self.multipart(path, params, body)
        if handled is not None:
            return handled
        return self.forward(path + ("?" + query if query else ""), body, params)

    def multipart(self, path, params, body):
        """ListMultipartUploads, AbortMultipartUpload, part sizes; None: forward."""
        if self.command == "GET" and "uploads" in params:
            return self.list_uploads(params)
        upload = params.get("uploadId", [None])[0]
        if upload is None:
            return None
        if self.command == "DELETE":
            with self.state.lock:
                self.state.uploads.pop(upload, None)
            return self.reply(204)
        if self.command == "PUT" and "partNumber" in params:
            number = int(params["partNumber"][0])
            with self.state.lock:
                if upload in self.state.uploads:
                    self.state.uploads[upload][1][number] = len(body)
            self.state.log(f"part {number} of {urllib.parse.unquote(path)}: {len(body)} bytes")
            return None
        if self.command == "POST":
            numbers = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
            sizes = self.state.uploads.get(upload, ("", {}))[1]
            for n in numbers[:-1]:
                if sizes.get(n, MIN_PART) < MIN_PART:
                    return self.reply(400, xml_error("EntityTooSmall", f"part {n} is too small"))
        return None

    def list_uploads(self, params):
        """ListMultipartUploads as S3 pages it: sorted by key then upload id,
        after key-marker/upload-id-marker, at most max-uploads (and at most
        --uploads-page) a page, with IsTruncated and the next markers."""
        prefix = params.get("prefix", [""])[0]
        key_marker = params.get("key-marker", [""])[0]
        id_marker = params.get("upload-id-marker", [""])[0]
        page = min(int(params.get("max-uploads", ["1000"])[0]), self.state.args.uploads_page)
        with self.state.lock:
            uploads = sorted((k, u) for u, (k, _) in self.state.uploads.items()
                             if k.startswith(prefix))
        after = [(k, u) for k, u in uploads
                 if not key_marker or k > key_marker or (k == key_marker and u > id_marker)]
        shown, more = after[:page], len(after) > page
        items = "".join(f"<Upload><Key>{k}</Key><UploadId>{u}</UploadId></Upload>"
                        for k, u in shown)
        tail = (f"<NextKeyMarker>{shown[-1][0]}</NextKeyMarker>"
                f"<NextUploadIdMarker>{shown[-1][1]}</NextUploadIdMarker>" if more else "")
        return self.reply(200, f"<ListMultipartUploadsResult><IsTruncated>"
                               f"{'true' if more else 'false'}</IsTruncated>{tail}{items}"
                               f"</ListMultipartUploadsResult>".encode())

    def forward(self, target, body, params):
        up = http.client.HTTPConnection("127.0.0.1", self.state.args.upstream_port, timeout=300)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection", "expect")}
        headers["Host"] = f"127.0.0.1:{self.state.args.upstream_port}"
        up.request(self.command, target, body=body if body else None, headers=headers)
        res = up.getresponse()
        if self.command == "POST" and "uploads" in params and res.status == 200:
            data = res.read()
            m = re.search(rb"<UploadId>([^<]+)</UploadId>", data)
            key = urllib.parse.unquote(target.split("?")[0].split("/", 2)[2])
            if m:
                with self.state.lock:
                    self.state.uploads[m.group(1).decode()] = (key, {})
            return self.reply(res.status, data, {"Content-Type": "application/xml"})
        if self.command == "POST" and "uploadId" in params and res.status == 200:
            with self.state.lock:
                self.state.uploads.pop(params["uploadId"][0], None)
        self.state.log(f"{self.command} {self.headers.get('Host')} {self.path} {res.status}")
        self.send_response(res.status)
        for k, v in res.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "keep-alive"):
                self.send_header(k, v)
        if res.getheader("Content-Length") is None:
            data = res.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.end_headers()
            while True:
                chunk = res.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(chunk)
        up.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--faults")
    p.add_argument("--log")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--port-file")
    p.add_argument("--uploads-page", type=int, default=1000)
    args = p.parse_args()
    Handler.state = State(args)
    server = Server(("127.0.0.1", args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
