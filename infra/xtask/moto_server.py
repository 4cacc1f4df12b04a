"""moto's server, with DynamoDB requests applied one at a time.

DynamoDB applies each request atomically: a transaction's writes appear all at
once and a failed one leaves no trace. moto's server handles requests on
threads, and a failed TransactWriteItems restores a copy of the tables taken
before it, undoing (or bringing back) writes that concurrent requests made
meanwhile. Serializing DynamoDB requests gives moto the isolation DynamoDB has,
so tests may run transactions concurrently against it. Other services (SQS long
polls, SES) keep their threads.

Usage: python3 moto_server.py [-H HOST] [-p PORT]
"""
import argparse
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

DYNAMODB_TARGET = "DynamoDB_"


def serialize_dynamodb(app):
    lock = threading.Lock()

    def serialized(environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET):
            return app(environ, start_response)
        with lock:
            response = app(environ, start_response)
            try:
                # Produce the whole body under the lock: moto may write lazily.
                return [b"".join(response)]
            finally:
                if hasattr(response, "close"):
                    response.close()

    return serialized


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serialize_dynamodb(app), threaded=True)


if __name__ == "__main__":
    main()
