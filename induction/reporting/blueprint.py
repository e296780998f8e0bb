from flask import Blueprint

bp = Blueprint("reporting", __name__, url_prefix="/manage")
