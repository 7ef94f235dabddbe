"""Settings package: `base` (safe local defaults), `production`, `test`.

Every value is read from the environment through one `env` object (see base.py);
`.env.example` lists them all.
"""
