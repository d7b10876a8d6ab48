from flask import Blueprint

bp = Blueprint("markets", __name__, url_prefix="/markets")
