from app import create_app
from app.core.memory import freeze, freeze_when_warm

app = create_app()

# What the app holds from start to stop, and later what its warm caches hold, is kept out of the
# garbage collector's full passes (app/core/memory.py): each one stalled a request 100-200 ms.
freeze()
freeze_when_warm(app)
