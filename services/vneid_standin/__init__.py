"""The VNeID stand-in: a small separate app, run only in demo mode, whose page stands for the
person's phone. See app.py for its contract."""
