from flask import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/experts")
