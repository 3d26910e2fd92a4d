"""Local stand-ins that offline mode talks to instead of the real services.

Nothing here is part of the lesson: the notebooks teach the real SDK calls, and offline those
calls are answered by these servers on 127.0.0.1 (moto's S3 server, an Embed API v2 stand-in).
"""
