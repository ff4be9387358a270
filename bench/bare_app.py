"""The baseline: a bare Flask app answering the same bytes mockserver answers, with no logic."""
from flask import Flask, Response

app = Flask(__name__)
BALANCE = b'{"success":true,"data":{"credits":100},"message":"Balance retrieved successfully"}'


@app.get("/v3/api/balance")
def balance():
    return Response(BALANCE, mimetype="application/json")
