"""Notebook 05, exercise 1: a `GET /labels` route on a Flask app."""

from __future__ import annotations

from flask import Flask, jsonify

from vidrec_helpers.labels import INTENTS, MOODS


def add_labels_route(app: Flask) -> Flask:
    """Register `GET /labels`, answering the intents and moods a search accepts."""

    @app.get("/labels")
    def labels():
        return jsonify(intents=list(INTENTS), moods=list(MOODS))

    return app
