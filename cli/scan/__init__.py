"""``fipscheck scan``: scanners that find the cryptography a code base, a configuration, a certificate,
a server or an environment uses, and judge it by the policy.

A scanner turns its input into :class:`~fipscrypto.cli.scan.model.Use` records (an algorithm the policy
is asked about, where it was found) and :class:`~fipscrypto.cli.scan.model.Misuse` records (a misuse no
allowlist can express, e.g. a constant IV, with its citation); :func:`~fipscrypto.cli.scan.model.judge`
asks the policy about each use.
"""
