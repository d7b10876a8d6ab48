import gc

from app import create_app

app = create_app()

# What the app holds from start to stop (pypinyin's phrase tables alone are some 200,000 lists) is
# moved out of the garbage collector's sight: every full collection scanned it all, a 130 ms stall
# in the middle of whichever request triggered it. Objects made later are collected as before.
gc.collect()
gc.freeze()
