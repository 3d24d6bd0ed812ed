"""``python -m tender_testmode``: run the offline Stripe test mode."""

from tender_testmode.cli import main

main()
