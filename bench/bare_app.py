"""The baseline: a bare Flask app answering the same bytes mockserver answers, with no logic."""
from flask import Flask, Response

app = Flask(__name__)
BALANCE = b'{"success":true,"data":{"credits":100},"message":"Balance retrieved successfully"}'
PURCHASE = (b'{"success":true,"data":{"requests":[{"_id":"697a90d25ef1873ef44f48bc","serviceName":"Airbnb",'
            b'"serviceId":"697139f7fe5460ddc2f27214","number":"+13130001234","status":"RESERVED","country":"US",'
            b'"amount":0.2,"numberType":"STR","allowFlag":true,"allowReuse":false,"reuseCounter":0,'
            b'"endTime":"2026-01-28T23:02:26.292Z","createdAt":"2026-01-28T22:42:26.452Z"}]},'
            b'"message":"Numbers purchased successfully"}')
CODE = b'{"id":"num_0123456789abcdefghij","status":"pending","code":null,"sms":null}'


@app.get("/v3/api/balance")
def balance():
    return Response(BALANCE, mimetype="application/json")


@app.post("/v3/api/purchase")
def purchase():
    return Response(PURCHASE, mimetype="application/json")


@app.get("/api/v1/sms/us/numbers/<number_id>/code")
def code(number_id):
    return Response(CODE, mimetype="application/json")
