"""Scanner corpus: TLS versions and certificate checks (never run)."""

import ssl

import requests
from OpenSSL import SSL

context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)  # expect: policy.tls-version.tls1.0=error
context.check_hostname = False  # expect: code.hostname-not-checked=error
context.verify_mode = ssl.CERT_NONE  # expect: code.cert-not-verified=error
modern = ssl.create_default_context()
modern.minimum_version = ssl.TLSVersion.TLSv1_1  # expect: policy.tls-version.tls1.1=error
unverified = ssl._create_unverified_context()  # expect: code.cert-not-verified=error
requests.get("https://example.org", verify=False, timeout=5)  # expect: code.cert-not-verified=error
SSL.Context(SSL.TLSv1_METHOD)  # expect: policy.tls-version.tls1.0=error
