"""The agent console (PRODUCT.md 3.8): a small web app where call-centre agents and supervisors take
handed-over conversations, see what the bot knows and what it would answer, reply, hand back, and
look a beneficiary up. It stands on core/ and clients/ only: the handoff service holds the queue,
the Rasa server's assist door gives the suggestions.
"""
